import { parse } from 'sdp-transform';
import { applyMediaRules, mediaWarning } from './sdp-rules';

const head = 'v=0\r\no=phone 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n';
const CRYPTO = 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n';
const SDES = `${head}m=audio 4000 RTP/SAVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n${CRYPTO}`;
const PLAIN = `${head}m=audio 4000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n`;
const WEBRTC =
  `${head}a=fingerprint:sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF\r\n` +
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\na=rtcp-fb:111 transport-cc\r\na=rtpmap:0 PCMU/8000\r\na=setup:actpass\r\na=rtcp-mux\r\n';

const srtp = { srtpRequired: true, codecs: [] };

describe('applyMediaRules', () => {
  it('accepts SDES-SRTP and DTLS-SRTP offers unchanged when no codec list is set', () => {
    expect(applyMediaRules(SDES, srtp)).toEqual({ kind: 'accept', sdp: SDES });
    expect(applyMediaRules(WEBRTC, srtp)).toEqual({ kind: 'accept', sdp: WEBRTC });
  });

  it('refuses plain RTP with 488 and a Warning naming the stream, when SRTP is required', () => {
    const v = applyMediaRules(PLAIN, srtp);
    expect(v).toMatchObject({ kind: 'refuse', status: 488, reason: 'Not Acceptable Here' });
    expect(v.kind === 'refuse' && v.warning).toBe('399 pbx "SRTP required: the audio stream (RTP/AVP) has no SDES crypto or DTLS fingerprint"');
    expect(applyMediaRules(PLAIN, { srtpRequired: false, codecs: [] }).kind).toBe('accept');
  });

  it('does not take a=crypto on RTP/AVP, nor SAVP without keys, nor a fingerprint on SDES profile, as SRTP', () => {
    expect(applyMediaRules(PLAIN + CRYPTO, srtp).kind).toBe('refuse');
    expect(applyMediaRules(SDES.replace(CRYPTO, ''), srtp).kind).toBe('refuse');
    expect(applyMediaRules(`${SDES.replace(CRYPTO, '')}a=fingerprint:sha-256 AA:BB\r\n`, srtp).kind).toBe('refuse');
  });

  it('checks every active stream; a disabled one (port 0) does not count', () => {
    const withPlainVideo = `${SDES}m=video 5000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n`;
    expect(applyMediaRules(withPlainVideo, srtp)).toMatchObject({ kind: 'refuse', why: expect.stringContaining('video') });
    expect(applyMediaRules(withPlainVideo.replace('m=video 5000', 'm=video 0'), srtp).kind).toBe('accept');
  });

  it('refuses a missing offer only when SRTP is required, and garbage or no stream always', () => {
    expect(applyMediaRules(undefined, srtp)).toMatchObject({ kind: 'refuse', status: 488 });
    expect(applyMediaRules('', { srtpRequired: false, codecs: [] })).toEqual({ kind: 'accept', sdp: '' });
    expect(applyMediaRules(head, srtp)).toMatchObject({ kind: 'refuse', warning: expect.stringMatching(/^304 /) });
  });

  it('strips codecs outside the allow-list, with their rtpmap, fmtp and rtcp-fb lines, keeping DTMF', () => {
    const v = applyMediaRules(SDES, { srtpRequired: true, codecs: ['pcma'] });
    if (v.kind !== 'accept') throw new Error(v.why);
    const m = parse(v.sdp).media[0];
    expect(m.payloads).toBe('8 101');
    expect(m.rtp.map((r) => r.codec)).toEqual(['PCMA', 'telephone-event']);
    expect(m.crypto).toHaveLength(1);

    const w = applyMediaRules(WEBRTC, { srtpRequired: true, codecs: ['PCMU'] });
    if (w.kind !== 'accept') throw new Error(w.why);
    const wm = parse(w.sdp).media[0];
    expect(String(wm.payloads)).toBe('0');
    expect(wm.fmtp ?? []).toEqual([]);
    expect(wm.rtcpFb ?? []).toEqual([]);
  });

  it('knows static payload types without rtpmap, and refuses with 305 when only DTMF would be left', () => {
    const bare = `${head}m=audio 4000 RTP/SAVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n${CRYPTO}`;
    const ok = applyMediaRules(bare, { srtpRequired: true, codecs: ['PCMU'] });
    expect(ok.kind === 'accept' && parse(ok.sdp).media[0].payloads).toBe('0 101');
    const v = applyMediaRules(bare, { srtpRequired: true, codecs: ['G722', 'opus'] });
    expect(v).toMatchObject({ kind: 'refuse', status: 488 });
    expect(v.kind === 'refuse' && v.warning).toBe('305 pbx "no codec of the audio stream is allowed (allowed: G722, opus)"');
  });

  it('keeps the Warning a valid quoted-string', () => {
    expect(mediaWarning(399, 'a "b"\\ c\r\nd')).toBe(`399 pbx "a 'b'' c d"`);
  });
});
