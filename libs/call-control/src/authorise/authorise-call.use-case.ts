import { recordDestinationCountry } from '@pbx/common';
import type { CompiledPolicy, CompiledRate, PolicyCounters, PolicyDecision } from '@pbx/policy';
import type Redis from 'ioredis';
import type { CallCounters, LeaseRef, ReserveLimits } from './call-counters';
import type { EnforcementTarget } from './enforce';
import { decidePrepared, type Evaluation, type OutboundCall, type PolicyEvaluator } from './evaluate';

/**
 * `reserve`: a real call; an allowed toll call takes its counters in the same atomic step that checks
 * them, and a crossed cap escalates the lock. `dry-run`: the simulator; the same decision, no side effect.
 */
export type AuthoriseMode = 'reserve' | 'dry-run';

export interface AuthoriseCommand extends OutboundCall {
  callId: string;
  mode: AuthoriseMode;
  explain?: boolean;
  /** What-if counters (the simulator's overrides); ignored in reserve mode. */
  counterOverrides?: Partial<PolicyCounters>;
}

export interface Authorisation extends Evaluation {
  mode: AuthoriseMode;
  /** The lease an allowed toll call holds in reserve mode: renew it while the call runs, release it at the end. */
  lease?: LeaseRef;
  /** The rate the call is costed at (toll calls with a matching rate). */
  rate?: CompiledRate;
}

export interface AuthoriseOptions {
  /** How long a lease lasts without renewal: a dead process's calls stop counting this long after it died. */
  leaseMs: number;
  /** Raises a lock level when a cap is crossed (enforceDecision); absent where nothing may be escalated. */
  escalate?: (target: EnforcementTarget) => Promise<unknown>;
}

/** Only national and international calls count against rate, concurrency and spend limits. */
export const isTollCall = (d: PolicyDecision) => d.scope === 'national' || d.scope === 'international';

/** The limits the reserve script checks: the device's (step-up: one call at a time) and the tenant's. */
export function reserveLimitsOf(policy: CompiledPolicy, deviceId: string, decision: PolicyDecision): ReserveLimits {
  const device = policy.devices.get(deviceId) ?? policy.tenantDevice;
  return {
    deviceCallsPerMinute: device.maxCallsPerMinute,
    deviceCallsPerHour: device.maxCallsPerHour,
    tenantCallsPerMinute: policy.tenantMaxCallsPerMinute,
    tenantCallsPerHour: policy.tenantMaxCallsPerHour,
    deviceConcurrent: decision.decision === 'step_up' ? (decision.limits?.maxConcurrent ?? 1) : device.maxConcurrent,
    tenantConcurrent: policy.tenantMaxConcurrent,
  };
}

/**
 * "May this device call this number now?", for a call and for `POST /policy/simulate` alike: the
 * shared evaluator decides (cached policy, counters, the pure engine); in reserve mode an allowed
 * toll call then checks and takes its rate and concurrency counters in one Redis script. When the
 * script finds a limit reached (another INVITE got the last slot since the counters were read), the
 * engine decides again on the counters the script saw, so the refusal names the same rule and reason
 * a simulation with those counters would.
 */
export class AuthoriseCallUseCase {
  constructor(
    private readonly evaluator: PolicyEvaluator,
    private readonly counters: CallCounters,
    private readonly redis: Redis,
    private readonly options: AuthoriseOptions,
  ) {}

  /** What the gate allows as emergency calls for the tenant, so the dialled string is classified the same way. */
  emergencyNumbers(tenantId: string): Promise<ReadonlySet<string>> {
    return this.evaluator.emergencyNumbers(tenantId);
  }

  async execute(cmd: AuthoriseCommand): Promise<Authorisation> {
    const dryRun = cmd.mode === 'dry-run';
    const evaluation = await this.evaluator.evaluate(cmd, {
      explain: cmd.explain,
      counterOverrides: dryRun ? cmd.counterOverrides : undefined,
    });
    const { decision, policy } = evaluation;
    const out: Authorisation = { ...evaluation, mode: cmd.mode };
    if (isTollCall(decision) && evaluation.attempt) {
      const rate = policy.rates.longest(evaluation.attempt.destination, 1);
      if (rate) out.rate = rate;
    }
    if (dryRun) return out;

    if (decision.decision === 'deny') {
      if (decision.escalateLockLevel !== undefined && this.options.escalate)
        await this.options.escalate({ tenantId: cmd.tenantId, deviceId: cmd.deviceId, decision });
      return out;
    }
    if (!isTollCall(decision)) return out;

    const lease: LeaseRef = { tenantId: cmd.tenantId, deviceId: cmd.deviceId, callId: cmd.callId };
    const limits = reserveLimitsOf(policy, cmd.deviceId, decision);
    const reserved = await this.counters.reserve(lease, limits, cmd.timestamp, this.options.leaseMs);
    if (!reserved.ok) {
      const counters = { ...evaluation.counters, ...reserved.counts };
      const again = decidePrepared(policy, counters, evaluation, cmd.explain);
      const refusal: PolicyDecision =
        again.decision === 'deny'
          ? again
          : { ...decision, decision: 'deny', ruleId: reserved.limit, reason: `${reserved.limit} limit reached` };
      delete refusal.limits;
      return { ...out, decision: refusal, counters };
    }
    if (decision.scope === 'international' && decision.country && !reserved.alreadyHeld)
      await recordDestinationCountry(this.redis, cmd.tenantId, cmd.deviceId, decision.country);
    return { ...out, lease };
  }

  /** Frees a lease taken for a call that was not placed after all (no route, nobody registered). */
  async release(lease: LeaseRef): Promise<void> {
    await this.counters.release(lease);
  }
}
