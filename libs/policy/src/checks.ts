import { anyCidrContains, parseIp } from './cidr';
import type { CompiledDevice, CompiledPolicy, CompiledSource } from './compiled';
import { isWithinHours, localTimeOf } from './hours';
import type {
  CallAttempt,
  DestinationScope,
  LockLevel,
  PolicyCounters,
  PolicyDecision,
  StepUpConfig,
  TraceStep,
} from './types';

export type Trace = TraceStep[] | undefined;

/** Float tolerance so that spending exactly up to a cap is not read as crossing it. */
const SPEND_EPSILON = 1e-9;

export function deny(ruleId: string, reason: string, decidingRuleId?: string): PolicyDecision {
  return decidingRuleId ? { decision: 'deny', ruleId, decidingRuleId, reason } : { decision: 'deny', ruleId, reason };
}

export function checkSource(
  source: CompiledSource,
  attempt: CallAttempt,
  trace: Trace,
): PolicyDecision | undefined {
  const { allowedCidrs, allowedCountries, deniedCountries } = source;
  if (allowedCidrs) {
    const ip = parseIp(attempt.sourceIp);
    if (!ip || !anyCidrContains(allowedCidrs.value, ip)) {
      return deny(
        `source-ip:${allowedCidrs.layer}`,
        `source IP ${attempt.sourceIp} is outside the ${allowedCidrs.layer}'s allowed networks`,
      );
    }
  }
  const from = attempt.sourceCountry?.toUpperCase();
  if (deniedCountries && from !== undefined && deniedCountries.value.has(from)) {
    return deny(`source-country:${deniedCountries.layer}`, `calls from ${from} are denied`, deniedCountries.ruleIds[from]);
  }
  if (allowedCountries && (from === undefined || !allowedCountries.value.has(from))) {
    return deny(
      `source-country:${allowedCountries.layer}`,
      from === undefined
        ? 'source country is unknown and the policy only allows listed countries'
        : `calls from ${from} are not in the allowed source countries`,
    );
  }
  if (trace) {
    trace.push({ step: 'source', outcome: 'pass', detail: `${attempt.sourceIp} (${from ?? 'unknown'})` });
  }
  return undefined;
}

const LOCK_ALLOWS: Readonly<Record<LockLevel, readonly DestinationScope[]>> = {
  0: ['internal', 'national', 'international'],
  1: ['internal', 'national'],
  2: ['internal'],
  3: [],
};

const LOCK_NAMES: Readonly<Record<LockLevel, string>> = {
  0: 'no lock',
  1: 'no international calls',
  2: 'only internal and emergency calls',
  3: 'only emergency calls',
};

export function checkLock(
  level: LockLevel,
  scope: DestinationScope,
  trace: Trace,
): PolicyDecision | undefined {
  if (!LOCK_ALLOWS[level].includes(scope)) {
    return deny(`lock-level:${level}`, `lock level ${level} (${LOCK_NAMES[level]}) blocks ${scope} calls`);
  }
  if (trace) {
    trace.push({ step: 'lock-level', outcome: 'pass', detail: `level ${level} allows ${scope} calls` });
  }
  return undefined;
}

export function checkWangiri(
  windowMs: number | undefined,
  counters: PolicyCounters,
  attempt: CallAttempt,
  trace: Trace,
): PolicyDecision | undefined {
  if (windowMs === undefined) return undefined;
  for (const inbound of counters.recentShortInbound) {
    if (inbound.number !== attempt.destination) continue;
    const age = attempt.timestamp - inbound.at;
    if (age <= windowMs) {
      return deny(
        'wangiri',
        `${attempt.destination} rang in briefly ${Math.max(0, Math.round(age / 1000))} s ago; callbacks are blocked for ${windowMs / 1000} s`,
      );
    }
  }
  if (trace) trace.push({ step: 'wangiri', outcome: 'pass', detail: 'no recent short inbound call from it' });
  return undefined;
}

export function checkHours(
  policy: CompiledPolicy,
  timestamp: number,
  trace: Trace,
): PolicyDecision | undefined {
  const hours = policy.internationalHours;
  if (!hours) return undefined;
  const now = localTimeOf(hours, timestamp);
  if (!isWithinHours(hours, now)) {
    return deny(
      'hours:international',
      `international calls are outside business hours in ${policy.timezone}`,
    );
  }
  if (trace) {
    trace.push({ step: 'hours', outcome: 'pass', detail: `within business hours in ${policy.timezone}` });
  }
  return undefined;
}

function exceeded(count: number, limit: number | undefined): limit is number {
  return limit !== undefined && count >= limit;
}

export function checkCounters(
  policy: CompiledPolicy,
  device: CompiledDevice,
  counters: PolicyCounters,
  trace: Trace,
): PolicyDecision | undefined {
  if (exceeded(counters.deviceCallsLastMinute, device.maxCallsPerMinute)) {
    return deny('rate:device:minute', `device reached ${device.maxCallsPerMinute} calls per minute`);
  }
  if (exceeded(counters.deviceCallsLastHour, device.maxCallsPerHour)) {
    return deny('rate:device:hour', `device reached ${device.maxCallsPerHour} calls per hour`);
  }
  if (exceeded(counters.tenantCallsLastMinute, policy.tenantMaxCallsPerMinute)) {
    return deny('rate:tenant:minute', `tenant reached ${policy.tenantMaxCallsPerMinute} calls per minute`);
  }
  if (exceeded(counters.tenantCallsLastHour, policy.tenantMaxCallsPerHour)) {
    return deny('rate:tenant:hour', `tenant reached ${policy.tenantMaxCallsPerHour} calls per hour`);
  }
  if (exceeded(counters.deviceActiveCalls, device.maxConcurrent)) {
    return deny(
      'concurrency:device',
      `device already has ${counters.deviceActiveCalls} of ${device.maxConcurrent} calls`,
    );
  }
  if (exceeded(counters.tenantActiveCalls, policy.tenantMaxConcurrent)) {
    return deny(
      'concurrency:tenant',
      `tenant already has ${counters.tenantActiveCalls} of ${policy.tenantMaxConcurrent} calls`,
    );
  }
  if (trace) {
    trace.push({ step: 'counters', outcome: 'pass', detail: 'rate and concurrency limits not reached' });
  }
  return undefined;
}

function money(amount: number): string {
  return String(Number(amount.toFixed(4)));
}

/** Returns the deny decision when this call's first billable unit would cross a cap. */
export function checkSpend(
  policy: CompiledPolicy,
  counters: PolicyCounters,
  estimate: number,
  trace: Trace,
): PolicyDecision | undefined {
  const caps = policy.spendCaps;
  if (!caps || estimate <= 0) return undefined;
  const daily = caps.daily !== undefined && counters.spendToday + estimate > caps.daily + SPEND_EPSILON;
  const monthly =
    caps.monthly !== undefined && counters.spendThisMonth + estimate > caps.monthly + SPEND_EPSILON;
  if (!daily && !monthly) {
    if (trace) {
      trace.push({
        step: 'spend',
        outcome: 'pass',
        detail: `estimated ${money(estimate)} stays under the caps`,
      });
    }
    return undefined;
  }
  const useMonthly = monthly && (!daily || caps.monthlyEscalation > caps.dailyEscalation);
  const escalation = useMonthly ? caps.monthlyEscalation : caps.dailyEscalation;
  const [period, spent, cap] = useMonthly
    ? ['monthly', counters.spendThisMonth, caps.monthly]
    : ['daily', counters.spendToday, caps.daily];
  return {
    ...deny(
      `cap:${period}`,
      `${period} spend ${money(spent)} + estimated ${money(estimate)} would cross the cap of ${cap}`,
    ),
    estimatedCost: estimate,
    ...(escalation > policy.lockLevel ? { escalateLockLevel: escalation } : {}),
  };
}

export function checkStepUp(
  stepUp: StepUpConfig | undefined,
  country: string,
  counters: PolicyCounters,
  maxDurationSeconds: number | undefined,
): PolicyDecision | undefined {
  if (!stepUp) return undefined;
  const previous = counters.deviceCountryCalls[country] ?? 0;
  if (previous >= stepUp.firstCalls) return undefined;
  if (counters.deviceActiveCalls >= 1) {
    return deny('step-up:concurrency', `calls to new destination ${country} are limited to one at a time`);
  }
  return {
    decision: 'step_up',
    ruleId: `step-up:first-seen:${country}`,
    reason: `call ${previous + 1} of the first ${stepUp.firstCalls} from this device to ${country}`,
    limits: {
      maxDurationSeconds: Math.min(stepUp.maxDurationSeconds, maxDurationSeconds ?? Infinity),
      maxConcurrent: 1,
    },
  };
}
