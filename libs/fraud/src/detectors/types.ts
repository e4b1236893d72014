import type { FraudContext } from '../context';
import type { FraudKind, Finding, Severity } from '../finding';
import type { ScoredEvent, ScoringState } from '../state';

export interface DetectorResult {
  findings: Finding[];
  nextState: ScoringState;
}

/** A pure function over one event and the bounded state; no I/O, no clock but the event's. */
export type Detector = (ev: ScoredEvent, ctx: FraudContext, state: ScoringState) => DetectorResult;

export const quiet = (nextState: ScoringState): DetectorResult => ({ findings: [], nextState });

/** A finding about the event's device, or about the whole tenant (`scope: 'tenant'`). */
export function finding(
  ev: ScoredEvent,
  kind: FraudKind,
  severity: Severity,
  title: string,
  evidence: Finding['evidence'],
  scope: 'device' | 'tenant' = 'device',
): Finding {
  const deviceId = scope === 'device' ? ev.deviceId : null;
  return {
    kind,
    severity,
    tenantId: ev.tenantId,
    deviceId,
    dedupeKey: deviceId ? `${kind}:${deviceId}` : `${kind}:tenant:${ev.tenantId}`,
    title,
    evidence,
    eventId: ev.eventId,
    at: ev.at,
  };
}

export const MINUTE = 60_000;
export const HOUR = 3_600_000;

/** An outbound call start from a device: what most detectors look at. */
export const isOutboundStart = (ev: ScoredEvent): boolean =>
  ev.type === 'call.started' && ev.direction === 'outbound' && ev.deviceId !== null;
export const isOutboundEnd = (ev: ScoredEvent): boolean => ev.type === 'call.ended' && ev.direction === 'outbound' && ev.deviceId !== null;
/**
 * The lock level that stops more calls like this one (a finding's `lockToStop` evidence, which
 * raise-lock honours when the playbook's level is lower). 1 (no international) stops low-risk calls
 * abroad. Domestic calls (a walk through a national range, a flood) need 2, internal only; so do
 * risky ones: a credential dialling premium or high-risk numbers dials whatever the tenant left open,
 * and level 1 leaves premium ranges at home open (bench/fraud showed a burst going on at +1900).
 */
export const lockToStop = (ev: ScoredEvent): 1 | 2 => (ev.international && !ev.remote.risky ? 1 : 2);
/** Calls that cost money abroad or at premium rates; tenant baselines count only these. */
export const isCostly = (ev: ScoredEvent): boolean => ev.international || ev.remote.risky;
