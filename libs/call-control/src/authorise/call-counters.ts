import { localDay, PolicyCounterKeys } from '@pbx/common';
import type Redis from 'ioredis';

/** The rate and concurrency limits one call is checked against; absent means unlimited. */
export interface ReserveLimits {
  deviceCallsPerMinute?: number;
  deviceCallsPerHour?: number;
  tenantCallsPerMinute?: number;
  tenantCallsPerHour?: number;
  deviceConcurrent?: number;
  tenantConcurrent?: number;
}

/** The counters as the script saw them just before this call, in the engine's names. */
export interface ReservedCounts {
  deviceCallsLastMinute: number;
  deviceCallsLastHour: number;
  tenantCallsLastMinute: number;
  tenantCallsLastHour: number;
  deviceActiveCalls: number;
  tenantActiveCalls: number;
}

/** Labels of the engine's own counter checks (libs/policy checks.ts), in the order it checks them. */
export const COUNTER_LIMITS = [
  'rate:device:minute',
  'rate:device:hour',
  'rate:tenant:minute',
  'rate:tenant:hour',
  'concurrency:device',
  'concurrency:tenant',
] as const;
export type CounterLimit = (typeof COUNTER_LIMITS)[number];

export type ReserveResult =
  | { ok: true; counts: ReservedCounts; alreadyHeld: boolean }
  | { ok: false; limit: CounterLimit; counts: ReservedCounts };

export interface LeaseRef {
  tenantId: string;
  deviceId: string;
  callId: string;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_S = 86_400;

/**
 * Check and reserve in one step: inside one script no other INVITE can read the counters between
 * this call's check and its reservation. Active calls are leases: ZSET members scored with the
 * instant they lapse. A holder renews its lease while the call runs, so when a SIP process dies its
 * calls stop counting one lease later, instead of leaking a slot. The order of checks and the labels
 * are the engine's (checkCounters), so a refusal here names the same rule the simulator would.
 *
 * KEYS: device active, tenant active, device call window, tenant call window.
 * ARGV: now ms, lease ms, call id, window member, then the six limits (-1 for none).
 */
const RESERVE_LUA = `
local now = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
local hour = ${HOUR_MS}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - hour)
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - hour)
local counts = {
  redis.call('ZCOUNT', KEYS[3], now - ${MINUTE_MS}, '+inf'),
  redis.call('ZCOUNT', KEYS[3], now - hour, '+inf'),
  redis.call('ZCOUNT', KEYS[4], now - ${MINUTE_MS}, '+inf'),
  redis.call('ZCOUNT', KEYS[4], now - hour, '+inf'),
  redis.call('ZCARD', KEYS[1]),
  redis.call('ZCARD', KEYS[2]),
}
local function hold(key, ms)
  redis.call('ZADD', key, now + lease, ARGV[3])
  if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, ms) end
end
if redis.call('ZSCORE', KEYS[1], ARGV[3]) then
  hold(KEYS[1], lease)
  hold(KEYS[2], lease)
  return {'held', unpack(counts)}
end
for i = 1, 6 do
  local limit = tonumber(ARGV[4 + i])
  if limit >= 0 and counts[i] >= limit then return {tostring(i), unpack(counts)} end
end
hold(KEYS[1], lease)
hold(KEYS[2], lease)
for k = 3, 4 do
  redis.call('ZADD', KEYS[k], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[k], hour)
end
return {'ok', unpack(counts)}
`;

/** Renews a lease only if the key still exists or the call is still listed; raises the key TTL. */
const RENEW_LUA = `
local expiry = tonumber(ARGV[1])
local ms = tonumber(ARGV[2])
local lost = 0
for k = 1, 2 do
  lost = lost + redis.call('ZADD', KEYS[k], expiry, ARGV[3])
  if redis.call('PTTL', KEYS[k]) < ms then redis.call('PEXPIRE', KEYS[k], ms) end
end
return lost
`;

type Scripted = Redis & {
  pbxReserveCall(...args: (string | number)[]): Promise<string[]>;
  pbxRenewCall(...args: (string | number)[]): Promise<number>;
};

function scripted(redis: Redis): Scripted {
  const r = redis as Scripted;
  if (typeof r.pbxReserveCall !== 'function') {
    redis.defineCommand('pbxReserveCall', { numberOfKeys: 4, lua: RESERVE_LUA });
    redis.defineCommand('pbxRenewCall', { numberOfKeys: 2, lua: RENEW_LUA });
  }
  return r;
}

const limitArg = (v: number | undefined) => (v === undefined ? -1 : v);

/** The Redis side of the fraud gate: leases on active calls, the call-rate windows, spend. */
export class CallCounters {
  private readonly redis: Scripted;

  constructor(redis: Redis) {
    this.redis = scripted(redis);
  }

  /** Checks every limit and, when none is reached, takes a lease of `leaseMs` and counts the call. */
  async reserve(ref: LeaseRef, limits: ReserveLimits, now: number, leaseMs: number): Promise<ReserveResult> {
    const { tenantId, deviceId, callId } = ref;
    const reply = await this.redis.pbxReserveCall(
      PolicyCounterKeys.deviceActiveCalls(tenantId, deviceId),
      PolicyCounterKeys.activeCalls(tenantId),
      PolicyCounterKeys.deviceCalls(tenantId, deviceId),
      PolicyCounterKeys.calls(tenantId),
      now,
      leaseMs,
      callId,
      `${now}:${callId}`,
      limitArg(limits.deviceCallsPerMinute),
      limitArg(limits.deviceCallsPerHour),
      limitArg(limits.tenantCallsPerMinute),
      limitArg(limits.tenantCallsPerHour),
      limitArg(limits.deviceConcurrent),
      limitArg(limits.tenantConcurrent),
    );
    const [status, ...raw] = reply;
    const n = raw.map(Number);
    const counts: ReservedCounts = {
      deviceCallsLastMinute: n[0],
      deviceCallsLastHour: n[1],
      tenantCallsLastMinute: n[2],
      tenantCallsLastHour: n[3],
      deviceActiveCalls: n[4],
      tenantActiveCalls: n[5],
    };
    if (status === 'ok' || status === 'held') return { ok: true, counts, alreadyHeld: status === 'held' };
    return { ok: false, limit: COUNTER_LIMITS[Number(status) - 1], counts };
  }

  /** Extends a running call's lease; returns false when it had lapsed (and was taken again). */
  async renew(ref: LeaseRef, now: number, leaseMs: number): Promise<boolean> {
    const lost = await this.redis.pbxRenewCall(
      PolicyCounterKeys.deviceActiveCalls(ref.tenantId, ref.deviceId),
      PolicyCounterKeys.activeCalls(ref.tenantId),
      now + leaseMs,
      leaseMs,
      ref.callId,
    );
    return Number(lost) === 0;
  }

  /** The call ended: its slot is free at once. The rate windows keep it, as they should. */
  async release(ref: LeaseRef): Promise<void> {
    await this.redis
      .multi()
      .zrem(PolicyCounterKeys.deviceActiveCalls(ref.tenantId, ref.deviceId), ref.callId)
      .zrem(PolicyCounterKeys.activeCalls(ref.tenantId), ref.callId)
      .exec();
  }

  /**
   * Adds `amount` to the tenant's spend of the local day and month, and returns both totals after
   * it, so the caller can tell whether this very increment crossed a cap.
   */
  async addSpend(tenantId: string, amount: number, now: number, timezone: string): Promise<{ today: number; month: number }> {
    const day = localDay(now, timezone);
    const dayKey = PolicyCounterKeys.spendDay(tenantId, day);
    const monthKey = PolicyCounterKeys.spendMonth(tenantId, day.slice(0, 7));
    const r = await this.redis
      .multi()
      .incrbyfloat(dayKey, amount)
      .expire(dayKey, 2 * DAY_S)
      .incrbyfloat(monthKey, amount)
      .expire(monthKey, 62 * DAY_S)
      .exec();
    const failed = r?.find(([err]) => err);
    if (!r || failed) throw failed?.[0] ?? new Error('spend not recorded');
    return { today: Number(r[0][1]), month: Number(r[2][1]) };
  }
}
