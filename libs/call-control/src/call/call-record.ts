import type { CdrInsert } from '@pbx/database';
import type { CallDenial } from '../authorise/call-gate';

/** What the cdrs table knows of a call's ending (ck_cdrs_disposition). */
export type Disposition = 'answered' | 'busy' | 'no_answer' | 'failed' | 'cancelled' | 'denied';

/** The disposition of an unanswered call from the final status the caller got. */
export function dispositionOf(status: number): Disposition {
  if (status >= 200 && status < 300) return 'answered';
  if (status === 486 || status === 600) return 'busy';
  if (status === 487) return 'cancelled';
  if (status === 408 || status === 480) return 'no_answer';
  if (status === 403 || status === 488 || status === 407 || status === 401) return 'denied';
  return 'failed';
}

/**
 * The best final response of a forked call for the caller (RFC 3261 §16.7 step 6): a 6xx wins, then
 * busy (486) over the rest, then the lowest class; nothing at all is a 480.
 */
export function bestFailure(statuses: readonly number[]): number {
  if (statuses.length === 0) return 480;
  const six = statuses.find((s) => s >= 600);
  if (six) return six;
  if (statuses.includes(486)) return 486;
  return [...statuses].sort((a, b) => Math.floor(a / 100) - Math.floor(b / 100) || a - b)[0];
}

export interface CallTimes {
  startedAt: number;
  answeredAt: number | null;
  endedAt: number;
}

/** Whole seconds talked, rounded up as billing does, and the call's total length. */
export function durations(t: CallTimes): { durationSeconds: number; billableSeconds: number } {
  return {
    durationSeconds: Math.max(0, Math.round((t.endedAt - t.startedAt) / 1000)),
    billableSeconds: t.answeredAt === null ? 0 : Math.max(0, Math.ceil((t.endedAt - t.answeredAt) / 1000)),
  };
}

/** The CDR of a call the fraud gate refused: nothing rang, the deciding rule is on record. */
export function deniedCallRecord(denial: CallDenial, callId: string, at: number): CdrInsert {
  const d = denial.decision;
  const toll = d.scope === 'national' || d.scope === 'international';
  return {
    tenantId: denial.tenantId,
    callId,
    direction: toll ? 'outbound' : 'internal',
    deviceId: denial.caller.deviceId,
    extensionId: denial.caller.extensionId,
    fromNumber: denial.caller.username,
    toNumber: denial.destination,
    destinationCountry: toll ? (d.country ?? null) : null,
    sourceIp: denial.sourceIp,
    startedAt: new Date(at),
    endedAt: new Date(at),
    durationSeconds: 0,
    billableSeconds: 0,
    disposition: 'denied',
    hangupCause: `403 ${d.ruleId}: ${d.reason}`.slice(0, 200),
    cost: 0,
    policyDecision: d.decision,
    policyRuleId: d.ruleId.slice(0, 200),
    decidingRuleId: d.decidingRuleId ?? null,
  };
}

/** A call refused after its caller authenticated, for want of a route, a phone or a complete number. */
export interface UnplacedCall {
  tenantId: string;
  caller: { deviceId: string | null; extensionId: string | null; username: string; trunkId?: string };
  direction: 'internal' | 'outbound' | 'inbound';
  toNumber: string;
  destinationCountry: string | null;
  sourceIp: string;
  status: number;
  why: string;
}

/** Its CDR: nothing rang (or nothing could), the SIP status and why are on record. */
export function unplacedCallRecord(u: UnplacedCall, callId: string, at: number): CdrInsert {
  return {
    tenantId: u.tenantId,
    callId,
    direction: u.direction,
    deviceId: u.caller.deviceId,
    extensionId: u.caller.extensionId,
    trunkId: u.caller.trunkId ?? null,
    fromNumber: u.caller.username,
    toNumber: u.toNumber.slice(0, 64),
    destinationCountry: u.destinationCountry,
    sourceIp: u.sourceIp,
    startedAt: new Date(at),
    endedAt: new Date(at),
    durationSeconds: 0,
    billableSeconds: 0,
    disposition: dispositionOf(u.status),
    hangupCause: `${u.status} ${u.why}`.slice(0, 200),
    cost: 0,
  };
}
