import { FINDING_COOLDOWN_MS, type Finding } from '@pbx/fraud';
import { ATTACK_KINDS, type AttackKind, type AttackLabel, type Stream } from './generator';

export interface Recorded {
  finding: Finding;
  recordedAt: number;
}

/** A finding this long after an attack's last event is still the attack's (the detectors' longest window). */
const GRACE_MS = 60 * 60_000;

const quantile = (values: number[], q: number): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
};

/**
 * A wangiri wave from a range whose alert is still open (raised within the cool-down before the
 * wave) is covered by that alert: the scorer deliberately does not raise a second one, and the
 * callback guard already holds the new callers.
 */
function coveredByOpenAlert(a: AttackLabel, f: Finding): boolean {
  return a.range !== undefined && f.kind === 'wangiri' && f.tenantId === a.tenantId && f.evidence.topPrefix === a.range && f.at < a.start && f.at >= a.start - FINDING_COOLDOWN_MS;
}

function matches(a: AttackLabel, f: Finding): boolean {
  if (coveredByOpenAlert(a, f)) return true;
  if (f.tenantId !== a.tenantId || f.at < a.start || f.at > a.end + GRACE_MS) return false;
  return a.deviceId !== null ? f.deviceId === a.deviceId : f.deviceId === null && f.kind === 'wangiri';
}

/** Tenant-wide findings during any attack on the tenant are caused by it, not false alerts. */
function explained(stream: Stream, f: Finding): boolean {
  return stream.attacks.some(
    (a) => a.tenantId === f.tenantId && f.at >= a.start && f.at <= a.end + GRACE_MS && (f.deviceId === null || f.deviceId === a.deviceId),
  );
}

export interface KindReport {
  kind: AttackKind | 'overall';
  attacks: number;
  detected: number;
  recall: number;
  /** Event-clock time from the first fraudulent event to the event that fired the first finding. */
  detectionP50: number;
  detectionP95: number;
  /** Wall time from publishing that event on the queue to the finding reaching the sink. */
  lagP50: number;
  lagP95: number;
  /** detection + lag per attack: the time to the finding if the day were replayed in real time. */
  totalP50: number;
  totalP95: number;
  firstKinds: string;
}

export interface Report {
  kinds: KindReport[];
  /** Each detected attack's first finding, and its detect + lag (the time to that finding). */
  firsts: Array<{ attack: AttackLabel; finding: Finding; total: number }>;
  falseAlerts: number;
  falseFindings: number;
  falsePerThousandDevicesPerDay: number;
  falseByKind: string;
  warmupFindings: number;
  falseFindingsList: Finding[];
}

export function evaluate(stream: Stream, recorded: Recorded[], publishedAt: Map<string, number>): Report {
  const kinds: KindReport[] = [];
  const firsts: Report['firsts'] = [];
  const all: { detection: number[]; lag: number[]; total: number[]; n: number; hit: number } = { detection: [], lag: [], total: [], n: 0, hit: 0 };
  for (const kind of ATTACK_KINDS) {
    const attacks = stream.attacks.filter((a) => a.kind === kind);
    const detection: number[] = [];
    const lag: number[] = [];
    const total: number[] = [];
    const first = new Map<string, number>();
    let covered = 0;
    for (const a of attacks) {
      const hits = recorded.filter((r) => matches(a, r.finding)).sort((x, y) => x.finding.at - y.finding.at || x.recordedAt - y.recordedAt);
      if (!hits.length) continue;
      const h = hits[0];
      const d = Math.max(0, h.finding.at - a.start);
      if (h.finding.at < a.start) covered++;
      const l = h.recordedAt - (publishedAt.get(h.finding.eventId) ?? h.recordedAt);
      detection.push(d);
      lag.push(l);
      total.push(d + l);
      firsts.push({ attack: a, finding: h.finding, total: d + l });
      first.set(h.finding.kind, (first.get(h.finding.kind) ?? 0) + 1);
    }
    all.detection.push(...detection);
    all.lag.push(...lag);
    all.total.push(...total);
    all.n += attacks.length;
    all.hit += detection.length;
    kinds.push({
      kind,
      attacks: attacks.length,
      detected: detection.length,
      recall: attacks.length ? detection.length / attacks.length : Number.NaN,
      detectionP50: quantile(detection, 0.5),
      detectionP95: quantile(detection, 0.95),
      lagP50: quantile(lag, 0.5),
      lagP95: quantile(lag, 0.95),
      totalP50: quantile(total, 0.5),
      totalP95: quantile(total, 0.95),
      firstKinds: [...first].map(([k, n]) => `${k}:${n}`).join(' ') + (covered ? ` (${covered} covered by an open alert of the same range)` : ''),
    });
  }
  kinds.push({
    kind: 'overall',
    attacks: all.n,
    detected: all.hit,
    recall: all.hit / all.n,
    detectionP50: quantile(all.detection, 0.5),
    detectionP95: quantile(all.detection, 0.95),
    lagP50: quantile(all.lag, 0.5),
    lagP95: quantile(all.lag, 0.95),
    totalP50: quantile(all.total, 0.5),
    totalP95: quantile(all.total, 0.95),
    firstKinds: '',
  });
  const measured = recorded.filter((r) => r.finding.at >= stream.measuredFrom && r.finding.at < stream.measuredTo);
  const falses = measured.filter((r) => !stream.attacks.some((a) => matches(a, r.finding)) && !explained(stream, r.finding));
  const byKey = new Map<string, Finding>();
  for (const r of falses) byKey.set(r.finding.dedupeKey, r.finding);
  const byKind = new Map<string, number>();
  for (const f of byKey.values()) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
  return {
    kinds,
    firsts,
    falseAlerts: byKey.size,
    falseFindings: falses.length,
    falsePerThousandDevicesPerDay: (byKey.size / stream.legitimateDevices) * 1000,
    falseByKind: [...byKind].map(([k, n]) => `${k}:${n}`).join(' ') || 'none',
    warmupFindings: recorded.filter((r) => r.finding.at < stream.measuredFrom).length,
    falseFindingsList: falses.map((r) => r.finding),
  };
}

/** When (wall ms) the callback guard first held a number, by `tenant|number`. */
export type GuardSightings = Map<string, number>;

export interface BlockReport {
  /** Wangiri: the callback guard on the wave's first caller. */
  guard: { attacks: number; armed: number; refused: number; detectP50: number; detectP95: number; lagP50: number; lagP95: number; totalP50: number; totalP95: number };
  /**
   * Every attack: the guard for wangiri, the first finding for the others when the playbook's answer
   * to it stops the attack's later calls (undetected or unstopped attacks count as never blocked).
   */
  overallP50: number;
  overallP95: number;
  blocked: number;
  attacks: number;
  /** Detected attacks whose first finding's answer would not stop them, by kind ("sequential:2"). */
  notHeld: string;
}

/**
 * Time to the block. What a wangiri wave costs is the callback; the policy refuses calling back a
 * number from the moment the worker has scored its one-ring call, so the block is that moment: the
 * ring (event clock, first call's start to its end) plus the lag to the guard (wall clock, publish
 * of that call.ended to the number showing in the guard). `refused` is checked through the policy's
 * own wangiri check, at the call's end plus one second.
 */
export function evaluateBlocks(
  stream: Stream,
  report: Report,
  sightings: GuardSightings,
  refused: Set<string>,
  publishedAt: Map<string, number>,
  holds: (a: AttackLabel, f: Finding) => boolean,
): BlockReport {
  const wangiri = stream.attacks.filter((a) => a.kind === 'wangiri' && a.callback);
  const detect: number[] = [];
  const lag: number[] = [];
  const total: number[] = [];
  for (const a of wangiri) {
    const cb = a.callback!;
    const seen = sightings.get(`${a.tenantId}|${cb.number}`);
    if (seen === undefined) continue;
    const d = cb.at - a.start;
    const l = publishedAt.size ? Math.max(0, seen - (publishedAt.get(cb.eventId) ?? seen)) : 0;
    detect.push(d);
    lag.push(l);
    total.push(d + l);
  }
  const found = report.firsts.filter((x) => x.attack.kind !== 'wangiri');
  const held = found.filter((x) => holds(x.attack, x.finding));
  const notHeld = new Map<string, number>();
  for (const x of found) if (!held.includes(x)) notHeld.set(x.attack.kind, (notHeld.get(x.attack.kind) ?? 0) + 1);
  const everyBlock = [...held.map((x) => x.total), ...total];
  const attacks = stream.attacks.length;
  // An attack never blocked sorts last: it counts against the p95 rather than dropping out of it.
  const withMisses = [...everyBlock, ...Array.from({ length: attacks - everyBlock.length }, () => Number.POSITIVE_INFINITY)];
  return {
    guard: {
      attacks: wangiri.length,
      armed: total.length,
      refused: wangiri.filter((a) => refused.has(`${a.tenantId}|${a.callback!.number}`)).length,
      detectP50: quantile(detect, 0.5),
      detectP95: quantile(detect, 0.95),
      lagP50: quantile(lag, 0.5),
      lagP95: quantile(lag, 0.95),
      totalP50: quantile(total, 0.5),
      totalP95: quantile(total, 0.95),
    },
    overallP50: quantile(withMisses, 0.5),
    overallP95: quantile(withMisses, 0.95),
    blocked: everyBlock.length,
    attacks,
    notHeld: [...notHeld].map(([k, n]) => `${k}:${n}`).join(' ') || 'none',
  };
}
