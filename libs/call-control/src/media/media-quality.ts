/** One leg's media as rtpengine saw it, for the CDR and the metrics. */
export interface LegQuality {
  /** RTP packets and bytes received from this leg. */
  packets: number;
  bytes: number;
  /** Packets this leg's receiver reported lost (RTCP), or null without RTCP. */
  packetsLostPercent: number | null;
  jitterMs: number | null;
  roundTripMs: number | null;
  /** 1.0-5.0: rtpengine's average MOS for the leg, else an E-model estimate from loss and jitter. */
  mos: number | null;
  mosSource: 'rtpengine' | 'estimate' | null;
}

export interface MediaQuality {
  caller: LegQuality | null;
  callee: LegQuality | null;
}

interface NgStream {
  flags?: string[];
  SSRC?: number;
  'last packet'?: number;
  stats?: { packets?: number; bytes?: number; errors?: number };
}
interface NgTag {
  medias?: Array<{ streams?: NgStream[] }>;
}
interface NgMos {
  MOS?: number;
  jitter?: number;
  'packet loss'?: number;
  'round-trip time'?: number;
}
/** The parts of an ng `query` (or `delete`) reply read here. */
export interface NgCallStats {
  tags?: Record<string, NgTag>;
  SSRC?: Record<string, { 'average MOS'?: NgMos }>;
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * A MOS estimate from the ITU-T G.107 E-model, simplified for G.711 as commonly done when no RTCP-XR is
 * available: effective latency = RTT/2 + 2·jitter + 10 ms; R = 93.2 − delay impairment − 2.5·loss%.
 */
export function estimateMos(lossPercent: number, jitterMs: number, roundTripMs = 0): number {
  const latency = roundTripMs / 2 + jitterMs * 2 + 10;
  let r = latency < 160 ? 93.2 - latency / 40 : 93.2 - (latency - 120) / 10;
  r -= lossPercent * 2.5;
  r = Math.max(0, Math.min(100, r));
  const mos = 1 + 0.035 * r + 0.000007 * r * (r - 60) * (100 - r);
  return round(Math.max(1, Math.min(4.5, mos)), 2);
}

function legOf(tag: NgTag | undefined, ssrcs: NgCallStats['SSRC']): LegQuality | null {
  if (!tag) return null;
  const rtp = (tag.medias ?? []).flatMap((m) => m.streams ?? []).filter((s) => !(s.flags ?? []).includes('RTCP'));
  if (rtp.length === 0) return null;
  const packets = rtp.reduce((n, s) => n + (s.stats?.packets ?? 0), 0);
  const bytes = rtp.reduce((n, s) => n + (s.stats?.bytes ?? 0), 0);
  const mos = rtp.map((s) => (s.SSRC === undefined ? undefined : ssrcs?.[String(s.SSRC)]?.['average MOS'])).find((m) => m);
  const loss = mos?.['packet loss'] ?? null;
  const jitter = mos?.jitter ?? null;
  // rtpengine reports round-trip time in microseconds and MOS multiplied by ten.
  const rtt = mos?.['round-trip time'] !== undefined ? round(mos['round-trip time'] / 1000, 1) : null;
  let value: number | null = null;
  let source: LegQuality['mosSource'] = null;
  if (mos?.MOS) {
    value = round(mos.MOS / 10, 1);
    source = 'rtpengine';
  } else if (loss !== null && jitter !== null) {
    value = estimateMos(loss, jitter, rtt ?? 0);
    source = 'estimate';
  }
  return { packets, bytes, packetsLostPercent: loss, jitterMs: jitter, roundTripMs: rtt, mos: value, mosSource: source };
}

/** Per-leg quality from an ng query/delete reply; the caller's leg is `callerTag`'s. */
export function mediaQualityOf(stats: NgCallStats, callerTag: string, calleeTag: string): MediaQuality {
  return { caller: legOf(stats.tags?.[callerTag], stats.SSRC), callee: legOf(stats.tags?.[calleeTag], stats.SSRC) };
}

/**
 * Seconds since the last RTP packet from any leg (rtpengine's "last packet" is the stream's creation
 * time until one arrives), or null when the reply names no RTP stream. `nowSeconds` is Unix time.
 */
export function mediaIdleSeconds(stats: NgCallStats, nowSeconds: number): number | null {
  const last = Object.values(stats.tags ?? {})
    .flatMap((t) => (t.medias ?? []).flatMap((m) => m.streams ?? []))
    .filter((s) => !(s.flags ?? []).includes('RTCP') && typeof s['last packet'] === 'number')
    .map((s) => s['last packet'] as number);
  if (last.length === 0) return null;
  return Math.max(0, nowSeconds - Math.max(...last));
}
