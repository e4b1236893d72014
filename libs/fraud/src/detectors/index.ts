import type { CallEventJob } from '@pbx/common/queues';
import type { FraudContext } from '../context';
import type { Finding } from '../finding';
import { capRecord, type ScoredEvent, type ScoringState } from '../state';
import { detectDestinations } from './destinations';
import { detectOutOfHours } from './hours';
import { observeCalls } from './observe';
import { detectRateSpikes } from './rate';
import { detectSequentialDialling, detectShortCallFlood } from './short-calls';
import { detectSpendVelocity } from './spend';
import { detectTakeover } from './takeover';
import type { Detector, DetectorResult } from './types';
import { detectWangiri } from './wangiri';

export { isShortRiskyInbound } from './wangiri';
export type { Detector, DetectorResult } from './types';

/** A finding with the same dedupe key is not repeated within this time of the event clock. */
export const FINDING_COOLDOWN_MS = 30 * 60_000;

/** observeCalls first: the others read the lists it keeps. */
export const DETECTORS: readonly Detector[] = [
  observeCalls,
  detectTakeover,
  detectOutOfHours,
  detectDestinations,
  detectRateSpikes,
  detectShortCallFlood,
  detectSequentialDialling,
  detectSpendVelocity,
  detectWangiri,
];

function networkOf(ip: string | undefined): string | null {
  if (!ip) return null;
  if (ip.includes(':')) return `${ip.split(':').slice(0, 2).join(':')}::/32`;
  const parts = ip.split('.');
  return parts.length === 4 ? `${parts[0]}.${parts[1]}.0.0/16` : null;
}

/** Reads a validated call event the way detectors need it. */
export function toScoredEvent(job: CallEventJob, ctx: FraudContext): ScoredEvent {
  const direction = job.direction ?? null;
  const remote = ctx.classify(direction === 'inbound' ? job.fromNumber : direction === 'outbound' ? job.toNumber : undefined);
  return {
    eventId: job.eventId,
    type: job.type,
    tenantId: job.tenantId,
    deviceId: job.deviceId ?? null,
    callId: job.callId ?? null,
    at: Date.parse(job.occurredAt),
    direction,
    remote,
    international: remote.country !== null && remote.country !== ctx.country,
    durationSeconds: job.durationSeconds ?? 0,
    answered: Boolean(job.answeredAt) || (job.disposition === 'answered' && (job.durationSeconds ?? 0) > 0),
    cost: job.cost ?? 0,
    sourceCountry: job.sourceCountry ?? null,
    network: networkOf(job.sourceIp),
  };
}

/**
 * Runs every detector over one event: pure, so the same event and state always give the same
 * findings and next state. Findings repeating a dedupe key within the cool-down are dropped here,
 * so a running attack yields one finding per kind and device, not one per call.
 */
export function scoreEvent(ev: ScoredEvent, ctx: FraudContext, state: ScoringState, detectors: readonly Detector[] = DETECTORS): DetectorResult {
  let current = state;
  const findings: Finding[] = [];
  for (const detect of detectors) {
    const result = detect(ev, ctx, current);
    current = result.nextState;
    for (const f of result.findings) {
      const holder = f.deviceId ? current.device : current.tenant;
      if (!holder) continue;
      const last = holder.fired[f.dedupeKey];
      if (last !== undefined && Math.abs(ev.at - last) < FINDING_COOLDOWN_MS) continue;
      const fired = capRecord({ ...holder.fired, [f.dedupeKey]: ev.at }, 32);
      current = f.deviceId ? { ...current, device: { ...current.device!, fired } } : { ...current, tenant: { ...current.tenant, fired } };
      findings.push(f);
    }
  }
  return { findings, nextState: current };
}
