import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import {
  ACTIVE_CALL_MAX_MS,
  loadCounters,
  localDay,
  PolicyCounterKeys,
  recordCallEnd,
  recordCallStart,
  recordDestinationCountry,
  recordShortInbound,
  SHORT_INBOUND_MAX_ENTRIES,
} from './policy-counters';

/** Integration test on the real Redis: the counters are only as good as the commands behind them. */
describe('policy counters (real Redis)', () => {
  let redis: Redis;
  let tenantId: string;
  const deviceId = 'dev-1';
  const T0 = Date.UTC(2026, 2, 2, 14, 0, 0);

  beforeAll(() => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 2 });
  });
  afterAll(() => redis.quit());
  beforeEach(() => {
    tenantId = `test-${randomUUID()}`;
  });
  afterEach(async () => {
    const keys = await redis.keys(`pbx:pc:${tenantId}:*`);
    if (keys.length) await redis.del(...keys);
  });

  it('starts at zero for an unknown tenant', async () => {
    expect(await loadCounters(redis, tenantId, deviceId, T0)).toEqual({
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
    });
  });

  it('counts calls in sliding minute and hour windows, per device and per tenant', async () => {
    await recordCallStart(redis, { tenantId, deviceId, callId: 'a', now: T0 - 90 * 60_000 });
    await recordCallStart(redis, { tenantId, deviceId, callId: 'b', now: T0 - 30 * 60_000 });
    await recordCallStart(redis, { tenantId, deviceId, callId: 'c', now: T0 - 59_000 });
    await recordCallStart(redis, { tenantId, deviceId: 'dev-2', callId: 'd', now: T0 - 1_000 });
    const c = await loadCounters(redis, tenantId, deviceId, T0);
    expect(c).toMatchObject({
      deviceCallsLastMinute: 1,
      deviceCallsLastHour: 2,
      tenantCallsLastMinute: 2,
      tenantCallsLastHour: 3,
    });
    // 2 s later the call at T0-59 s has left the minute window: a window slides, it does not reset.
    expect((await loadCounters(redis, tenantId, deviceId, T0 + 2_000)).deviceCallsLastMinute).toBe(0);
  });

  it('trims calls older than an hour and expires the window keys', async () => {
    await recordCallStart(redis, { tenantId, deviceId, callId: 'old', now: T0 - 2 * 3_600_000 });
    await recordCallStart(redis, { tenantId, deviceId, callId: 'new', now: T0 });
    expect(await redis.zcard(PolicyCounterKeys.deviceCalls(tenantId, deviceId))).toBe(1);
    expect(await redis.pttl(PolicyCounterKeys.calls(tenantId))).toBeGreaterThan(0);
  });

  it('tracks active calls until they end, and ages out calls whose end was lost', async () => {
    await recordCallStart(redis, { tenantId, deviceId, callId: 'a', now: T0 });
    await recordCallStart(redis, { tenantId, deviceId, callId: 'b', now: T0 });
    await recordCallStart(redis, { tenantId, deviceId: 'dev-2', callId: 'c', now: T0 });
    expect(await loadCounters(redis, tenantId, deviceId, T0)).toMatchObject({
      deviceActiveCalls: 2,
      tenantActiveCalls: 3,
    });
    await recordCallEnd(redis, { tenantId, deviceId, callId: 'a', now: T0 + 1000, cost: 0 });
    expect(await loadCounters(redis, tenantId, deviceId, T0 + 1000)).toMatchObject({
      deviceActiveCalls: 1,
      tenantActiveCalls: 2,
    });
    const later = T0 + ACTIVE_CALL_MAX_MS + 1;
    expect(await loadCounters(redis, tenantId, deviceId, later)).toMatchObject({
      deviceActiveCalls: 0,
      tenantActiveCalls: 0,
    });
  });

  it('adds costs to the tenant-local day and month, with TTLs', async () => {
    await recordCallEnd(redis, { tenantId, deviceId, callId: 'a', now: T0, cost: 1.25 });
    await recordCallEnd(redis, { tenantId, deviceId: 'dev-2', callId: 'b', now: T0, cost: 0.5 });
    expect(await loadCounters(redis, tenantId, deviceId, T0)).toMatchObject({ spendToday: 1.75, spendThisMonth: 1.75 });
    const nextDay = T0 + 86_400_000;
    expect(await loadCounters(redis, tenantId, deviceId, nextDay)).toMatchObject({ spendToday: 0, spendThisMonth: 1.75 });
    expect(await redis.ttl(PolicyCounterKeys.spendDay(tenantId, '2026-03-02'))).toBeGreaterThan(86_400);
    expect(await redis.ttl(PolicyCounterKeys.spendMonth(tenantId, '2026-03'))).toBeGreaterThan(60 * 86_400);
  });

  it('uses the tenant timezone for the spend day', async () => {
    // 23:30 UTC on 2 March is already 3 March in Tokyo.
    const late = Date.UTC(2026, 2, 2, 23, 30);
    expect(localDay(late, 'Asia/Tokyo')).toBe('2026-03-03');
    await recordCallEnd(redis, { tenantId, deviceId, callId: 'a', now: late, cost: 2 }, { timezone: 'Asia/Tokyo' });
    expect((await loadCounters(redis, tenantId, deviceId, late, { timezone: 'UTC' })).spendToday).toBe(0);
    expect((await loadCounters(redis, tenantId, deviceId, late, { timezone: 'Asia/Tokyo' })).spendToday).toBe(2);
  });

  it('ignores zero, negative and non-finite costs', async () => {
    for (const cost of [0, -5, Number.NaN]) {
      await recordCallEnd(redis, { tenantId, deviceId, callId: 'x', now: T0, cost });
    }
    expect((await loadCounters(redis, tenantId, deviceId, T0)).spendToday).toBe(0);
  });

  it('counts calls per destination country per device', async () => {
    await recordDestinationCountry(redis, tenantId, deviceId, 'fr');
    await recordDestinationCountry(redis, tenantId, deviceId, 'FR');
    await recordDestinationCountry(redis, tenantId, 'dev-2', 'DE');
    expect((await loadCounters(redis, tenantId, deviceId, T0)).deviceCountryCalls).toEqual({ FR: 2 });
  });

  it('remembers short inbound callers: the latest time per number, one ZSCORE when the destination is known', async () => {
    await recordShortInbound(redis, tenantId, '+35312345678', T0 - 60_000);
    await recordShortInbound(redis, tenantId, '+35312345678', T0 - 10_000);
    await recordShortInbound(redis, tenantId, '+22501020304', T0 - 5_000);
    const one = await loadCounters(redis, tenantId, deviceId, T0, { destination: '+35312345678' });
    expect(one.recentShortInbound).toEqual([{ number: '+35312345678', at: T0 - 10_000 }]);
    const none = await loadCounters(redis, tenantId, deviceId, T0, { destination: '+4420' });
    expect(none.recentShortInbound).toEqual([]);
    const all = await loadCounters(redis, tenantId, deviceId, T0);
    expect(all.recentShortInbound).toEqual([
      { number: '+35312345678', at: T0 - 10_000 },
      { number: '+22501020304', at: T0 - 5_000 },
    ]);
  });

  it('trims the short inbound set to its newest entries', async () => {
    const key = PolicyCounterKeys.shortInbound(tenantId);
    const members = Array.from({ length: SHORT_INBOUND_MAX_ENTRIES + 5 }, (_, i) => [T0 + i, `+1555${i}`]);
    await redis.zadd(key, ...members.flat());
    await recordShortInbound(redis, tenantId, '+15550000', T0 + 10_000);
    expect(await redis.zcard(key)).toBe(SHORT_INBOUND_MAX_ENTRIES);
    expect(await redis.zscore(key, '+15550')).toBeNull();
    expect(await redis.zscore(key, '+15550000')).not.toBeNull();
  });
});
