import {
  checkCounters,
  checkHours,
  checkLock,
  checkSource,
  checkSpend,
  checkStepUp,
  checkWangiri,
  deny,
  type Trace,
} from './checks';
import type { CompiledCountry, CompiledDevice, CompiledPolicy } from './compiled';
import { evaluateDestination, UNKNOWN_COUNTRY } from './destination';
import type {
  CallAttempt,
  DecideOptions,
  DecisionLimits,
  DestinationScope,
  PolicyCounters,
  PolicyDecision,
} from './types';

/** "+" then 2 to 15 digits, the first not 0 (ITU-T E.164). */
export function isE164(value: string): boolean {
  const length = value.length;
  if (length < 3 || length > 16 || value.charCodeAt(0) !== 43) return false;
  const first = value.charCodeAt(1);
  if (first < 49 || first > 57) return false;
  for (let i = 2; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function deviceLimits(device: CompiledDevice): DecisionLimits | undefined {
  const { maxDurationSeconds, maxConcurrent } = device;
  if (maxDurationSeconds === undefined && maxConcurrent === undefined) return undefined;
  const limits: DecisionLimits = {};
  if (maxDurationSeconds !== undefined) limits.maxDurationSeconds = maxDurationSeconds;
  if (maxConcurrent !== undefined) limits.maxConcurrent = maxConcurrent;
  return limits;
}

function withScope(
  decision: PolicyDecision,
  scope: DestinationScope,
  match?: CompiledCountry,
): PolicyDecision {
  decision.scope = scope;
  if (scope !== 'internal') decision.country = match?.country ?? UNKNOWN_COUNTRY;
  if (match) decision.tier = match.tier;
  return decision;
}

function evaluate(
  policy: CompiledPolicy,
  counters: PolicyCounters,
  attempt: CallAttempt,
  trace: Trace,
): PolicyDecision {
  const { destination, kind } = attempt;
  // Emergency first: no rule, lock level, cap, hour or source check may block it.
  if (kind !== 'e164' && policy.emergencyNumbers.has(destination)) {
    return {
      decision: 'allow',
      ruleId: 'emergency',
      reason: `${destination} is an emergency number and is never blocked`,
      scope: 'emergency',
    };
  }
  if (kind === 'emergency') {
    return deny('invalid-destination', `${destination} is not an emergency number for this tenant`);
  }
  if (trace) {
    trace.push({ step: 'emergency', outcome: 'skip', detail: `${destination} is not an emergency number` });
  }

  const device = policy.devices.get(attempt.deviceId) ?? policy.tenantDevice;
  const lockLevel = device.lockLevel > policy.lockLevel ? device.lockLevel : policy.lockLevel;

  if (kind === 'internal') {
    if (destination.length === 0) return deny('invalid-destination', 'the internal destination is empty');
    const blocked = checkSource(device.source, attempt, trace) ?? checkLock(lockLevel, 'internal', trace);
    if (blocked) return withScope(blocked, 'internal');
    return {
      decision: 'allow',
      ruleId: 'internal',
      reason: 'internal call between extensions',
      scope: 'internal',
    };
  }

  if (!isE164(destination)) return deny('invalid-destination', `${destination} is not an E.164 number`);
  const countryMatch = policy.countries.longest(destination, 1);
  const country = countryMatch?.country ?? UNKNOWN_COUNTRY;
  const scope: DestinationScope = country === policy.country ? 'national' : 'international';
  if (trace) {
    const tier = countryMatch?.tier ?? 'unknown';
    trace.push({ step: 'classify', outcome: 'match', detail: `${scope} call to ${country} (tier ${tier})` });
  }

  const blocked = checkSource(device.source, attempt, trace) ?? checkLock(lockLevel, scope, trace);
  if (blocked) return withScope(blocked, scope, countryMatch);

  const verdict = evaluateDestination(policy, device, destination, countryMatch);
  if (verdict.action === 'deny')
    return withScope(deny(verdict.ruleId, verdict.reason, verdict.decidingRuleId), scope, countryMatch);
  if (trace) {
    trace.push({ step: 'destination', outcome: 'allow', detail: `${verdict.ruleId}: ${verdict.reason}` });
  }

  const limited =
    checkWangiri(policy.wangiriWindowMs, counters, attempt, trace) ??
    (scope === 'international' ? checkHours(policy, attempt.timestamp, trace) : undefined) ??
    checkCounters(policy, device, counters, trace);
  if (limited) return withScope(limited, scope, countryMatch);

  let estimatedCost: number | undefined;
  if (policy.spendCaps) {
    estimatedCost = policy.rates.longest(destination, 1)?.firstUnitCost ?? 0;
    const capped = checkSpend(policy, counters, estimatedCost, trace);
    if (capped) return withScope(capped, scope, countryMatch);
  }

  const stepUp =
    scope === 'international'
      ? checkStepUp(device.stepUp, country, counters, device.maxDurationSeconds)
      : undefined;
  let decision: PolicyDecision;
  if (stepUp) {
    decision = stepUp;
  } else {
    decision = { decision: 'allow', ruleId: verdict.ruleId, reason: verdict.reason };
    if (verdict.decidingRuleId) decision.decidingRuleId = verdict.decidingRuleId;
    const limits = deviceLimits(device);
    if (limits) decision.limits = limits;
  }
  if (estimatedCost !== undefined) decision.estimatedCost = estimatedCost;
  return withScope(decision, scope, countryMatch);
}

/**
 * Decides one call attempt. Pure and synchronous: the SIP app calls it per INVITE and the admin
 * API's /policy/simulate calls it with `explain: true` to get the evaluated steps.
 */
export function decide(
  policy: CompiledPolicy,
  counters: PolicyCounters,
  attempt: CallAttempt,
  options: DecideOptions = {},
): PolicyDecision {
  const trace: Trace = options.explain ? [] : undefined;
  const decision = evaluate(policy, counters, attempt, trace);
  if (trace) {
    trace.push({
      step: 'decision',
      outcome: decision.decision,
      detail: `${decision.ruleId}: ${decision.reason}`,
    });
    decision.trace = trace;
  }
  return decision;
}
