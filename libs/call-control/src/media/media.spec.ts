import { legMediaOfDevice, legMediaOfOffer, ngMediaOptions } from './anchor';
import { estimateMos, mediaIdleSeconds, mediaQualityOf, type NgCallStats } from './media-quality';

const sdp = (proto: string) => `v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 ${proto} 0\r\n`;

describe('media anchoring rules', () => {
  it('reads the kind of leg from the offer profile', () => {
    expect(legMediaOfOffer(sdp('UDP/TLS/RTP/SAVPF'))).toBe('webrtc');
    expect(legMediaOfOffer(sdp('RTP/SAVP'))).toBe('sdes');
    expect(legMediaOfOffer(sdp('RTP/AVP'))).toBe('rtp');
    expect(legMediaOfOffer(undefined)).toBe('rtp');
  });

  it('offers a browser DTLS-SRTP with ICE, a SIP phone SDES when SRTP is required or it uses TLS, else what the caller speaks', () => {
    expect(legMediaOfDevice('wss', true, 'sdes')).toBe('webrtc');
    expect(legMediaOfDevice('udp', true, 'rtp')).toBe('sdes');
    expect(legMediaOfDevice('tls', false, 'rtp')).toBe('sdes');
    expect(legMediaOfDevice('udp', false, 'rtp')).toBe('rtp');
    expect(legMediaOfDevice('tcp', false, 'webrtc')).toBe('sdes');
  });

  it('tells rtpengine the profile, ICE and rtcp-mux of each kind', () => {
    expect(ngMediaOptions('webrtc')).toMatchObject({ 'transport-protocol': 'UDP/TLS/RTP/SAVPF', ICE: 'force', 'rtcp-mux': ['offer', 'require'] });
    expect(ngMediaOptions('sdes')).toMatchObject({ 'transport-protocol': 'RTP/SAVP', ICE: 'remove', DTLS: 'off' });
    expect(ngMediaOptions('rtp')).toMatchObject({ 'transport-protocol': 'RTP/AVP', ICE: 'remove' });
  });
});

describe('media quality from rtpengine statistics', () => {
  const stream = (ssrc: number | undefined, packets: number, last: number, rtcp = false) => ({
    flags: [rtcp ? 'RTCP' : 'RTP'],
    ...(ssrc === undefined ? {} : { SSRC: ssrc }),
    'last packet': last,
    stats: { packets, bytes: packets * 172, errors: 0 },
  });
  const stats: NgCallStats = {
    tags: {
      caller: { medias: [{ streams: [stream(11, 500, 1000), stream(undefined, 20, 1004, true)] }] },
      callee: { medias: [{ streams: [stream(22, 480, 990)] }] },
    },
    SSRC: {
      '11': { 'average MOS': { MOS: 43, jitter: 3, 'packet loss': 0, 'round-trip time': 12_000 } },
      '22': { 'average MOS': { jitter: 40, 'packet loss': 5 } },
    },
  };

  it("takes rtpengine's MOS (x10) per leg, else estimates it from loss and jitter", () => {
    const q = mediaQualityOf(stats, 'caller', 'callee');
    expect(q.caller).toEqual({ packets: 500, bytes: 86_000, packetsLostPercent: 0, jitterMs: 3, roundTripMs: 12, mos: 4.3, mosSource: 'rtpengine' });
    expect(q.callee).toMatchObject({ packets: 480, packetsLostPercent: 5, jitterMs: 40, mosSource: 'estimate' });
    expect(q.callee?.mos).toBeGreaterThan(3);
    expect(q.callee?.mos).toBeLessThan(4);
    expect(mediaQualityOf({ tags: { caller: { medias: [{ streams: [stream(undefined, 7, 1)] }] } } }, 'caller', 'callee')).toEqual({
      caller: { packets: 7, bytes: 1204, packetsLostPercent: null, jitterMs: null, roundTripMs: null, mos: null, mosSource: null },
      callee: null,
    });
  });

  it('estimates MOS the E-model way: near 4.4 on a clean line, falling with loss and jitter', () => {
    expect(estimateMos(0, 0)).toBeGreaterThan(4.3);
    expect(estimateMos(0, 0)).toBeLessThanOrEqual(4.5);
    expect(estimateMos(10, 20)).toBeLessThan(estimateMos(1, 20));
    expect(estimateMos(1, 100)).toBeLessThan(estimateMos(1, 10));
    expect(estimateMos(100, 500)).toBe(1);
  });

  it('measures idleness from the newest RTP packet of any leg, ignoring RTCP', () => {
    expect(mediaIdleSeconds(stats, 1010)).toBe(10);
    expect(mediaIdleSeconds(stats, 999)).toBe(0);
    expect(mediaIdleSeconds({ tags: {} }, 5)).toBeNull();
  });
});
