import { durations, type CallPlan, type Disposition } from '@pbx/call-control';
import type { CallEventJob, CallEventType, LiveCall } from '@pbx/common';
import type { CdrInsert } from '@pbx/database';

/** When a call started, was answered and ended (epoch ms); null while it has not. */
export interface CallTimes {
  startedAt: number;
  answeredAt: number | null;
}

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

/**
 * What is written about one call, from its plan: the live record the API shows, the events fraud scoring
 * reads and the CDR (or the journal's draft of it). Pure: the CallSession supplies the times and the trunk.
 */
export class CallFacts {
  constructor(
    private readonly plan: CallPlan,
    readonly callId: string,
    private readonly trunkId: () => string | null,
  ) {}

  live(state: LiveCall['state'], t: CallTimes): LiveCall {
    return {
      call_id: this.callId,
      direction: this.plan.direction,
      state,
      device_id: this.plan.caller.deviceId,
      extension_id: this.plan.caller.extensionId,
      trunk_id: this.trunkId(),
      from_number: this.plan.caller.username,
      to_number: this.plan.dialed,
      source_ip: this.plan.sourceIp,
      started_at: new Date(t.startedAt).toISOString(),
      answered_at: iso(t.answeredAt),
    };
  }

  /** A call event with what fraud scoring reads: who, from where, to what, how long. */
  event(type: CallEventType, t: CallTimes, extra: Partial<CallEventJob> = {}): Omit<CallEventJob, 'eventId' | 'occurredAt'> {
    return {
      type,
      tenantId: this.plan.tenantId,
      callId: this.callId,
      deviceId: this.plan.caller.deviceId,
      direction: this.plan.direction,
      fromNumber: this.plan.caller.username,
      toNumber: this.plan.dialed,
      sourceIp: this.plan.sourceIp,
      sourceCountry: this.plan.sourceCountry,
      remoteCountry: this.policyFields().destinationCountry ?? null,
      startedAt: new Date(t.startedAt).toISOString(),
      answeredAt: iso(t.answeredAt),
      ...extra,
    };
  }

  /** The call's CDR row as it stands; `endedAt` null while the call goes on (the journal's draft). */
  cdr(disposition: Disposition, t: CallTimes, endedAt: number | null, cause: string): CdrInsert {
    const d = endedAt === null ? {} : durations({ startedAt: t.startedAt, answeredAt: t.answeredAt, endedAt });
    return {
      tenantId: this.plan.tenantId,
      callId: this.callId,
      direction: this.plan.direction,
      deviceId: this.plan.caller.deviceId,
      extensionId: this.plan.caller.extensionId,
      fromNumber: this.plan.caller.username,
      toNumber: this.toNumber(),
      trunkId: this.trunkId(),
      destinationCountry: this.plan.target.kind === 'trunk' ? this.plan.target.country : null,
      sourceIp: this.plan.sourceIp,
      startedAt: new Date(t.startedAt),
      answeredAt: t.answeredAt === null ? null : new Date(t.answeredAt),
      endedAt: endedAt === null ? null : new Date(endedAt),
      ...d,
      disposition,
      hangupCause: cause.slice(0, 200),
      ...this.policyFields(),
    };
  }

  /** What the fraud gate decided, for the CDR: the destination's country, the decision and its rule. */
  private policyFields(): Partial<CdrInsert> {
    const d = this.plan.authorisation?.decision;
    if (!d) return {};
    return {
      destinationCountry: d.scope === 'national' || d.scope === 'international' ? (d.country ?? null) : null,
      policyDecision: d.decision,
      policyRuleId: d.ruleId.slice(0, 200),
      decidingRuleId: d.decidingRuleId ?? null,
    };
  }

  /** What the caller reached: the E.164 number of an outbound call, else what was dialed. */
  private toNumber(): string {
    return this.plan.target.kind === 'trunk' ? this.plan.target.e164 : this.plan.dialed;
  }
}
