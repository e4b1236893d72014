import { countryOfIp, loadCounters } from '@pbx/common';
import {
  decide,
  normalizeDestination,
  type CallAttempt,
  type CompiledPolicy,
  type NormalizedDestination,
  type PolicyCounters,
  type PolicyDecision,
} from '@pbx/policy';
import type Redis from 'ioredis';
import type { PolicyCache } from './policy-cache';

/** An outbound call as the SIP app sees it before deciding. */
export interface OutboundCall {
  tenantId: string;
  deviceId: string;
  /** What the device dialed, e.g. "020 7946 0018", "+33142685300", "911", "1001". */
  dialed: string;
  sourceIp: string;
  /** Epoch milliseconds. */
  timestamp: number;
}

export interface PreparedAttempt {
  normalized: NormalizedDestination;
  sourceCountry: string | undefined;
  /** Absent when the dialed string cannot be a destination at all. */
  attempt?: CallAttempt;
}

export interface Evaluation extends PreparedAttempt {
  decision: PolicyDecision;
  counters: PolicyCounters;
  /** The compiled policy it was decided by, and the tenant's zone (spend days are local to it). */
  policy: CompiledPolicy;
  timezone: string;
}

export interface EvaluateOptions {
  explain?: boolean;
  /** What-if values replacing the loaded counters (the simulator's overrides). */
  counterOverrides?: Partial<PolicyCounters>;
}

/** Counters of a device and tenant with no calls and no spend. */
export const ZERO_COUNTERS: PolicyCounters = {
  deviceActiveCalls: 0,
  tenantActiveCalls: 0,
  deviceCallsLastMinute: 0,
  deviceCallsLastHour: 0,
  tenantCallsLastMinute: 0,
  tenantCallsLastHour: 0,
  spendToday: 0,
  spendThisMonth: 0,
  deviceCountryCalls: {},
  recentShortInbound: [],
};

/** The dialed string as the engine wants it: E.164 for numbers, the digits for the rest. */
export function prepareAttempt(compiled: CompiledPolicy, call: OutboundCall): PreparedAttempt {
  const normalized = normalizeDestination(call.dialed, compiled.country, {
    emergencyNumbers: compiled.emergencyNumbers,
  });
  const sourceCountry = countryOfIp(call.sourceIp);
  if (normalized.kind === 'invalid') return { normalized, sourceCountry };
  const destination =
    normalized.kind === 'e164' ? normalized.e164 : normalized.kind === 'emergency' ? normalized.number : normalized.extension;
  const attempt: CallAttempt = {
    deviceId: call.deviceId,
    destination,
    kind: normalized.kind,
    sourceIp: call.sourceIp,
    timestamp: call.timestamp,
  };
  if (sourceCountry !== undefined) attempt.sourceCountry = sourceCountry;
  return { normalized, sourceCountry, attempt };
}

/** Decides a prepared attempt; an undialable string is denied with the normaliser's reason. */
export function decidePrepared(
  compiled: CompiledPolicy,
  counters: PolicyCounters,
  prepared: PreparedAttempt,
  explain = false,
): PolicyDecision {
  if (prepared.attempt) return decide(compiled, counters, prepared.attempt, { explain });
  const reason = prepared.normalized.kind === 'invalid' ? prepared.normalized.reason : 'invalid destination';
  const decision: PolicyDecision = { decision: 'deny', ruleId: 'invalid-destination', reason };
  if (explain) decision.trace = [{ step: 'decision', outcome: 'deny', detail: `invalid-destination: ${reason}` }];
  return decision;
}

/**
 * The one path from "device X dialed Y from IP Z" to a decision, shared verbatim by the SIP app
 * (per INVITE) and the admin API's simulator: cached compiled policy, normalisation in the tenant
 * country, geolocation, Redis counters, then the pure engine.
 */
export class PolicyEvaluator {
  constructor(
    private readonly cache: PolicyCache,
    private readonly redis: Redis,
  ) {}

  /** The tenant's emergency numbers as its policy has them: its own list, else its country's. */
  async emergencyNumbers(tenantId: string): Promise<ReadonlySet<string>> {
    return (await this.cache.get(tenantId)).compiled.emergencyNumbers;
  }

  async evaluate(call: OutboundCall, options: EvaluateOptions = {}): Promise<Evaluation> {
    const { compiled, tenant } = await this.cache.get(call.tenantId);
    const prepared = prepareAttempt(compiled, call);
    // Emergency calls are allowed whatever the counters say, so they must not wait on (or fail with) Redis.
    const loaded =
      prepared.attempt?.kind === 'emergency'
        ? ZERO_COUNTERS
        : await loadCounters(this.redis, call.tenantId, call.deviceId, call.timestamp, {
            timezone: tenant.timezone,
            destination: prepared.attempt?.destination,
          });
    const counters: PolicyCounters = { ...loaded, ...options.counterOverrides };
    const decision = decidePrepared(compiled, counters, prepared, options.explain);
    return { ...prepared, decision, counters, policy: compiled, timezone: tenant.timezone };
  }
}
