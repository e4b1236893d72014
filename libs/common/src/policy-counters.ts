import type Redis from 'ioredis';
import type { PolicyCounters, RecentShortInbound } from '@pbx/policy';
import { REDIS_PREFIX } from './redis-keys';

/**
 * Redis counters read by the toll-fraud policy before every outbound call and written by the SIP
 * app as calls start and end. Layout, all under `pbx:pc:<tenant>:`:
 *
 * | key                         | type | content                                                     |
 * | --------------------------- | ---- | ----------------------------------------------------------- |
 * | `active` / `active:<dev>`   | ZSET | call id → lease expiry ms, one member per call in progress   |
 * | `calls` / `calls:<dev>`     | ZSET | `<ms>:<call id>` → start ms, calls started in the last hour  |
 * | `spend:d:<YYYY-MM-DD>`      | STR  | INCRBYFLOAT of call costs, tenant-local day, TTL 2 days      |
 * | `spend:m:<YYYY-MM>`         | STR  | same per tenant-local month, TTL 62 days                     |
 * | `countries:<dev>`           | HASH | ISO country → past calls from the device, TTL 90 days        |
 * | `short-inbound`             | ZSET | caller E.164 → ms of its latest short inbound call           |
 *
 * Calls per minute/hour are exact sliding windows (ZCOUNT over start times), not fixed buckets: a
 * burst straddling a minute boundary cannot double the allowed rate. Active calls are sets of call
 * ids rather than INCR/DECR counters, scored with the instant their lease lapses: the SIP app takes
 * the lease and checks the limits in one script (libs/call-control CallCounters) and renews it while
 * the call runs, so a lost hang-up (crashed SIP process) stops counting one lease later instead of
 * blocking the device forever.
 */
export const POLICY_COUNTERS_PREFIX = `${REDIS_PREFIX}pc:`;

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_S = 86_400;
/** The lease `recordCallStart` takes: a call older than this is assumed to have lost its hang-up. */
export const ACTIVE_CALL_MAX_MS = 24 * HOUR_MS;
/** Kept short inbound callers, newest first; older ones are trimmed. */
export const SHORT_INBOUND_MAX_ENTRIES = 1000;
export const SHORT_INBOUND_MAX_AGE_MS = 7 * 24 * HOUR_MS;

export const PolicyCounterKeys = {
  activeCalls: (tenantId: string) => `${POLICY_COUNTERS_PREFIX}${tenantId}:active`,
  deviceActiveCalls: (tenantId: string, deviceId: string) => `${POLICY_COUNTERS_PREFIX}${tenantId}:active:${deviceId}`,
  calls: (tenantId: string) => `${POLICY_COUNTERS_PREFIX}${tenantId}:calls`,
  deviceCalls: (tenantId: string, deviceId: string) => `${POLICY_COUNTERS_PREFIX}${tenantId}:calls:${deviceId}`,
  spendDay: (tenantId: string, day: string) => `${POLICY_COUNTERS_PREFIX}${tenantId}:spend:d:${day}`,
  spendMonth: (tenantId: string, month: string) => `${POLICY_COUNTERS_PREFIX}${tenantId}:spend:m:${month}`,
  deviceCountries: (tenantId: string, deviceId: string) => `${POLICY_COUNTERS_PREFIX}${tenantId}:countries:${deviceId}`,
  shortInbound: (tenantId: string) => `${POLICY_COUNTERS_PREFIX}${tenantId}:short-inbound`,
} as const;

const dayFormatters = new Map<string, Intl.DateTimeFormat>();

/** The tenant-local calendar day, "YYYY-MM-DD", that spend caps reset on. */
export function localDay(now: number, timezone = 'UTC'): string {
  let fmt = dayFormatters.get(timezone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormatters.set(timezone, fmt);
  }
  const parts = Object.fromEntries(fmt.formatToParts(now).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}

export interface CounterOptions {
  /** IANA zone of the tenant: the spend day and month are local to it. Default UTC. */
  timezone?: string;
}

export interface LoadCountersOptions extends CounterOptions {
  /**
   * The E.164 number about to be called. When given, only its own short-inbound entry is read
   * (one ZSCORE), which is all the wangiri check needs; otherwise the last day's entries are read.
   */
  destination?: string;
}

function toNumber(value: string | null | undefined): number {
  const n = Number(value ?? 0);
  return Number.isFinite(n) ? n : 0;
}

type PipelineResult = [Error | null, unknown][] | null;

function resultAt(results: PipelineResult, index: number): unknown {
  const entry = results?.[index];
  if (!entry) throw new Error('policy counters: missing pipeline result');
  if (entry[0]) throw entry[0];
  return entry[1];
}

async function execAll(tx: ReturnType<Redis['multi']>): Promise<void> {
  const results = (await tx.exec()) as PipelineResult;
  results?.forEach((_, i) => resultAt(results, i));
}

/** Reads every counter the policy needs in one round trip. Counts exclude the call being decided. */
export async function loadCounters(
  redis: Redis,
  tenantId: string,
  deviceId: string,
  now: number,
  options: LoadCountersOptions = {},
): Promise<PolicyCounters> {
  const day = localDay(now, options.timezone);
  const p = redis.pipeline();
  // Leases that have not lapsed.
  p.zcount(PolicyCounterKeys.deviceActiveCalls(tenantId, deviceId), `(${now}`, '+inf');
  p.zcount(PolicyCounterKeys.activeCalls(tenantId), `(${now}`, '+inf');
  p.zcount(PolicyCounterKeys.deviceCalls(tenantId, deviceId), now - MINUTE_MS, '+inf');
  p.zcount(PolicyCounterKeys.deviceCalls(tenantId, deviceId), now - HOUR_MS, '+inf');
  p.zcount(PolicyCounterKeys.calls(tenantId), now - MINUTE_MS, '+inf');
  p.zcount(PolicyCounterKeys.calls(tenantId), now - HOUR_MS, '+inf');
  p.get(PolicyCounterKeys.spendDay(tenantId, day));
  p.get(PolicyCounterKeys.spendMonth(tenantId, day.slice(0, 7)));
  p.hgetall(PolicyCounterKeys.deviceCountries(tenantId, deviceId));
  if (options.destination !== undefined) {
    p.zscore(PolicyCounterKeys.shortInbound(tenantId), options.destination);
  } else {
    p.zrangebyscore(PolicyCounterKeys.shortInbound(tenantId), now - DAY_S * 1000, '+inf', 'WITHSCORES', 'LIMIT', 0, 100);
  }
  const r = await p.exec();
  const count = (i: number) => Number(resultAt(r, i));
  const countries: Record<string, number> = {};
  for (const [country, calls] of Object.entries(resultAt(r, 8) as Record<string, string>)) {
    countries[country] = toNumber(calls);
  }
  const inbound = resultAt(r, 9);
  let recentShortInbound: RecentShortInbound[] = [];
  if (options.destination !== undefined) {
    if (inbound !== null) recentShortInbound = [{ number: options.destination, at: toNumber(inbound as string) }];
  } else {
    const flat = inbound as string[];
    for (let i = 0; i + 1 < flat.length; i += 2) recentShortInbound.push({ number: flat[i], at: toNumber(flat[i + 1]) });
  }
  return {
    deviceActiveCalls: count(0),
    tenantActiveCalls: count(1),
    deviceCallsLastMinute: count(2),
    deviceCallsLastHour: count(3),
    tenantCallsLastMinute: count(4),
    tenantCallsLastHour: count(5),
    spendToday: toNumber(resultAt(r, 6) as string | null),
    spendThisMonth: toNumber(resultAt(r, 7) as string | null),
    deviceCountryCalls: countries,
    recentShortInbound,
  };
}

export interface CallRef {
  tenantId: string;
  deviceId: string;
  callId: string;
  /** Epoch milliseconds. */
  now: number;
}

/**
 * An allowed call started, without a limit check: counts towards the rate windows and, with a lease of
 * ACTIVE_CALL_MAX_MS, the active calls until it ends. Calls placed through the SIP app go through
 * CallCounters.reserve instead; this is for what-if set-ups and tests.
 */
export async function recordCallStart(redis: Redis, call: CallRef): Promise<void> {
  const { tenantId, deviceId, callId, now } = call;
  const member = `${now}:${callId}`;
  const p = redis.multi();
  for (const key of [PolicyCounterKeys.calls(tenantId), PolicyCounterKeys.deviceCalls(tenantId, deviceId)]) {
    p.zadd(key, now, member);
    p.zremrangebyscore(key, '-inf', now - HOUR_MS);
    p.pexpire(key, HOUR_MS);
  }
  for (const key of [PolicyCounterKeys.activeCalls(tenantId), PolicyCounterKeys.deviceActiveCalls(tenantId, deviceId)]) {
    p.zadd(key, now + ACTIVE_CALL_MAX_MS, callId);
    p.zremrangebyscore(key, '-inf', now);
    p.pexpire(key, ACTIVE_CALL_MAX_MS);
  }
  await execAll(p);
}

/** The call ended: it stops counting as active and its cost is added to today's and this month's spend. */
export async function recordCallEnd(
  redis: Redis,
  call: CallRef & { cost: number },
  options: CounterOptions = {},
): Promise<void> {
  const { tenantId, deviceId, callId, now, cost } = call;
  const p = redis.multi();
  p.zrem(PolicyCounterKeys.activeCalls(tenantId), callId);
  p.zrem(PolicyCounterKeys.deviceActiveCalls(tenantId, deviceId), callId);
  if (Number.isFinite(cost) && cost > 0) {
    const day = localDay(now, options.timezone);
    const dayKey = PolicyCounterKeys.spendDay(tenantId, day);
    const monthKey = PolicyCounterKeys.spendMonth(tenantId, day.slice(0, 7));
    p.incrbyfloat(dayKey, cost);
    p.expire(dayKey, 2 * DAY_S);
    p.incrbyfloat(monthKey, cost);
    p.expire(monthKey, 62 * DAY_S);
  }
  await execAll(p);
}

/** A device called a country: after `stepUp.firstCalls` of these the step-up no longer applies. */
export async function recordDestinationCountry(
  redis: Redis,
  tenantId: string,
  deviceId: string,
  country: string,
): Promise<void> {
  const key = PolicyCounterKeys.deviceCountries(tenantId, deviceId);
  await execAll(redis.multi().hincrby(key, country.toUpperCase(), 1).expire(key, 90 * DAY_S));
}

/** An inbound call from `number` hung up after a ring or two: a callback to it may be wangiri fraud. */
export async function recordShortInbound(redis: Redis, tenantId: string, number: string, now: number): Promise<void> {
  const key = PolicyCounterKeys.shortInbound(tenantId);
  await execAll(
    redis
      .multi()
      .zadd(key, now, number)
      .zremrangebyscore(key, '-inf', now - SHORT_INBOUND_MAX_AGE_MS)
      .zremrangebyrank(key, 0, -SHORT_INBOUND_MAX_ENTRIES - 1)
      .pexpire(key, SHORT_INBOUND_MAX_AGE_MS),
  );
}
