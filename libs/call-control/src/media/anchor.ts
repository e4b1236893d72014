import { parse } from 'sdp-transform';

/**
 * How a leg carries its media, as rtpengine is told to speak to it:
 * - `sdes`: a SIP phone with SDES-SRTP (RTP/SAVP, a=crypto);
 * - `webrtc`: a browser (UDP/TLS/RTP/SAVPF: DTLS-SRTP, ICE, rtcp-mux);
 * - `rtp`: plain RTP (RTP/AVP), what carriers speak, or a phone when its tenant allows it.
 */
export type LegMedia = 'sdes' | 'webrtc' | 'rtp';

/** The kind of an offer a leg made, from its first active stream's profile. */
export function legMediaOfOffer(sdp: string | undefined): LegMedia {
  if (!sdp) return 'rtp';
  try {
    const m = (parse(sdp).media ?? []).find((s) => s.port !== 0) ?? parse(sdp).media?.[0];
    const proto = m?.protocol ?? '';
    if (/UDP\/TLS\/RTP\/SAVPF?/i.test(proto)) return 'webrtc';
    if (/RTP\/SAVPF?$/i.test(proto)) return 'sdes';
  } catch {
    // An unparsable offer never gets here (the media rules refuse it); plain RTP is the honest guess.
  }
  return 'rtp';
}

/**
 * What a called device is offered: a browser (registered over WebSocket) gets DTLS-SRTP with ICE; a
 * SIP phone gets SDES-SRTP when its tenant requires SRTP or when it registered over TLS (its keys
 * travel protected, the sign of a phone set up for SRTP); otherwise what the caller speaks (SDES for a
 * browser caller, as a SIP phone cannot do DTLS/ICE reliably).
 */
export function legMediaOfDevice(transport: string, srtpRequired: boolean, caller: LegMedia): LegMedia {
  if (/^wss?$/i.test(transport)) return 'webrtc';
  if (srtpRequired || /^tls$/i.test(transport)) return 'sdes';
  return caller === 'webrtc' ? 'sdes' : caller;
}

/**
 * SDES suites rtpengine must not offer: NULL ciphers (no encryption at all), and the AES-192/256 and
 * GCM suites that many phones parse badly (Debian's baresip 1.0 fails the call on a GCM key). What is
 * left is RFC 4568's mandatory AES_CM_128_HMAC_SHA1_80 and its _32 variant. (rtpengine 10.5 has
 * no `only-` form: every other suite is named.)
 */
export const SDES_EXCLUDED = [
  'AEAD_AES_256_GCM',
  'AEAD_AES_128_GCM',
  'AES_256_CM_HMAC_SHA1_80',
  'AES_256_CM_HMAC_SHA1_32',
  'AES_192_CM_HMAC_SHA1_80',
  'AES_192_CM_HMAC_SHA1_32',
  'F8_128_HMAC_SHA1_80',
  'F8_128_HMAC_SHA1_32',
  'NULL_HMAC_SHA1_80',
  'NULL_HMAC_SHA1_32',
] as const;

/** The ng flags that make rtpengine speak `kind` on the side it writes SDP for. */
export function ngMediaOptions(kind: LegMedia): Record<string, unknown> {
  const common = { replace: ['origin', 'session-connection'] };
  switch (kind) {
    case 'webrtc':
      return { ...common, 'transport-protocol': 'UDP/TLS/RTP/SAVPF', ICE: 'force', 'rtcp-mux': ['offer', 'require'], SDES: ['off'] };
    case 'sdes':
      // DTLS off: a SIP phone offered both would get a fingerprint it may take instead of the keys.
      return {
        ...common,
        'transport-protocol': 'RTP/SAVP',
        ICE: 'remove',
        'rtcp-mux': ['demux'],
        DTLS: 'off',
        SDES: SDES_EXCLUDED.map((s) => `no-${s}`),
      };
    case 'rtp':
      return { ...common, 'transport-protocol': 'RTP/AVP', ICE: 'remove', 'rtcp-mux': ['demux'] };
  }
}
