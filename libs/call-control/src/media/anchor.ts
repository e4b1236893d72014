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
 * SIP phone gets SDES-SRTP when its tenant requires SRTP, else what the caller speaks (SDES for a
 * browser caller, as a SIP phone cannot do DTLS/ICE reliably).
 */
export function legMediaOfDevice(transport: string, srtpRequired: boolean, caller: LegMedia): LegMedia {
  if (/^wss?$/i.test(transport)) return 'webrtc';
  if (srtpRequired) return 'sdes';
  return caller === 'webrtc' ? 'sdes' : caller;
}

/** The ng flags that make rtpengine speak `kind` on the side it writes SDP for. */
export function ngMediaOptions(kind: LegMedia): Record<string, unknown> {
  const common = { replace: ['origin', 'session-connection'] };
  switch (kind) {
    case 'webrtc':
      return { ...common, 'transport-protocol': 'UDP/TLS/RTP/SAVPF', ICE: 'force', 'rtcp-mux': ['offer', 'require'], SDES: ['off'] };
    case 'sdes':
      // DTLS off: a SIP phone offered both would get a fingerprint it may take instead of the keys.
      return { ...common, 'transport-protocol': 'RTP/SAVP', ICE: 'remove', 'rtcp-mux': ['demux'], DTLS: 'off' };
    case 'rtp':
      return { ...common, 'transport-protocol': 'RTP/AVP', ICE: 'remove', 'rtcp-mux': ['demux'] };
  }
}
