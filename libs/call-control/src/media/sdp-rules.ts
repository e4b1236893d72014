import { parse, write, type MediaDescription, type SessionDescription } from 'sdp-transform';

/** What a tenant demands of the media its devices offer. */
export interface MediaRules {
  /** Every active audio/video stream must be SRTP: SDES (a=crypto) or DTLS-SRTP (a=fingerprint). */
  srtpRequired: boolean;
  /** Encoding names allowed (case-insensitive, e.g. PCMU, opus); empty allows every codec. */
  codecs: readonly string[];
}

export const DEFAULT_MEDIA_RULES: MediaRules = { srtpRequired: true, codecs: [] };

export type OfferVerdict =
  | { kind: 'accept'; sdp: string }
  | { kind: 'refuse'; status: 488; reason: 'Not Acceptable Here'; warning: string; why: string };

/** RFC 3551's static payload types, which an offer may use without an a=rtpmap line. */
const STATIC_PAYLOADS: Record<number, string> = { 0: 'PCMU', 3: 'GSM', 4: 'G723', 8: 'PCMA', 9: 'G722', 18: 'G729' };

/** Not codecs: DTMF events and comfort noise ride along with whatever codec is left. */
const COMPANIONS = new Set(['telephone-event', 'cn']);

const SECURE_PROFILE = /(^|\/)SAVPF?$/i;

/** RFC 3261 §20.43: `399 agent "text"`, the text a valid quoted-string. */
export function mediaWarning(code: 304 | 305 | 399, text: string, agent = 'pbx'): string {
  return `${code} ${agent} "${text.replace(/[\r\n]+/g, ' ').replace(/["\\]/g, "'")}"`;
}

function refuse(code: 304 | 305 | 399, why: string): OfferVerdict {
  return { kind: 'refuse', status: 488, reason: 'Not Acceptable Here', warning: mediaWarning(code, why), why };
}

const active = (m: MediaDescription): boolean => m.port !== 0 && (m.type === 'audio' || m.type === 'video');

/** SDES (RFC 4568) on an SAVP profile, or DTLS-SRTP (RFC 5763): a fingerprint on the stream or the session. */
export function isSecureStream(m: MediaDescription, session: SessionDescription): boolean {
  if (!SECURE_PROFILE.test(m.protocol)) return false;
  const sdes = (m.crypto?.length ?? 0) > 0;
  const dtls = !!(m.fingerprint ?? session.fingerprint) && /UDP\/TLS\//i.test(m.protocol);
  return sdes || dtls;
}

function encodingOf(m: MediaDescription, pt: number): string | undefined {
  return m.rtp.find((r) => r.payload === pt)?.codec ?? STATIC_PAYLOADS[pt];
}

/** Keeps only allowed payload types (and the rtpmap/fmtp/rtcp-fb lines that go with them). */
function stripCodecs(m: MediaDescription, allowed: ReadonlySet<string>): boolean {
  const pts = String(m.payloads ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
  const keep = pts.filter((pt) => {
    const name = encodingOf(m, pt)?.toLowerCase();
    return name !== undefined && (allowed.has(name) || COMPANIONS.has(name));
  });
  const real = keep.filter((pt) => !COMPANIONS.has(encodingOf(m, pt)?.toLowerCase() ?? ''));
  if (real.length === 0) return false;
  const kept = new Set(keep);
  m.payloads = keep.join(' ');
  m.rtp = m.rtp.filter((r) => kept.has(r.payload));
  if (m.fmtp) m.fmtp = m.fmtp.filter((f) => kept.has(f.payload));
  if (m.rtcpFb) m.rtcpFb = m.rtcpFb.filter((f) => f.payload === '*' || kept.has(Number(f.payload)));
  return true;
}

/**
 * The media rules on a device's offer (issue 9, item 4): a stream that is not SRTP while the tenant
 * requires it, or no allowed codec left, is refused with 488 and a Warning saying which; otherwise the
 * offer comes back with the codecs the tenant does not allow stripped. An INVITE without an offer is
 * refused when SRTP is required: the answer would come only in the ACK, too late to refuse it.
 */
export function applyMediaRules(sdp: string | undefined, rules: MediaRules): OfferVerdict {
  if (!sdp || !sdp.trim()) {
    if (rules.srtpRequired) return refuse(399, 'an SDP offer is required in the INVITE (SRTP is required)');
    return { kind: 'accept', sdp: '' };
  }
  let session: SessionDescription;
  try {
    session = parse(sdp);
  } catch {
    return refuse(399, 'the SDP offer cannot be parsed');
  }
  const streams = (session.media ?? []).filter(active);
  if (streams.length === 0) return refuse(304, 'the SDP offer has no active audio or video stream');
  if (rules.srtpRequired) {
    const plain = streams.find((m) => !isSecureStream(m, session));
    if (plain)
      return refuse(399, `SRTP required: the ${plain.type} stream (${plain.protocol}) has no SDES crypto or DTLS fingerprint`);
  }
  if (rules.codecs.length === 0) return { kind: 'accept', sdp };
  const allowed = new Set(rules.codecs.map((c) => c.toLowerCase()));
  for (const m of streams) {
    if (!stripCodecs(m, allowed))
      return refuse(305, `no codec of the ${m.type} stream is allowed (allowed: ${rules.codecs.join(', ')})`);
  }
  return { kind: 'accept', sdp: write(session) };
}
