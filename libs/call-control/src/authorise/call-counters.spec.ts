import { loadCounters, PolicyCounterKeys } from '@pbx/common';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { CallCounters } from './call-counters';

/** Integration test on the real Redis: the gate is only as atomic as the script behind it. */
describe('CallCounters (real Redis)', () => {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  let redis: Redis;
  let tenantId: string;
  const deviceId = 'dev-1';
  const ref = (callId: string, device = deviceId) => ({ tenantId, deviceId: device, callId });

  beforeAll(() => {
    redis = new Redis(url, { maxRetriesPerRequest: 2 });
  });
  afterAll(() => redis.quit());
  beforeEach(() => {
    tenantId = `test-${randomUUID()}`;
  });
  afterEach(async () => {
    const keys = await redis.keys(`pbx:pc:${tenantId}:*`);
    if (keys.length) await redis.del(...keys);
  });

  it('50 concurrent reserves from 10 connections against a limit of 5: exactly 5 get a lease', async () => {
    const clients = Array.from({ length: 10 }, () => new Redis(url, { maxRetriesPerRequest: 2 }));
    try {
      const now = Date.now();
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          new CallCounters(clients[i % 10]).reserve(ref(`call-${i}`), { deviceConcurrent: 5 }, now, 30_000),
        ),
      );
      const granted = results.filter((r) => r.ok);
      expect(granted).toHaveLength(5);
      expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.limit === 'concurrency:device')).toBe(true);
      expect(await redis.zcard(PolicyCounterKeys.deviceActiveCalls(tenantId, deviceId))).toBe(5);
      // The refused ones were not counted in the rate windows either.
      expect(await redis.zcard(PolicyCounterKeys.deviceCalls(tenantId, deviceId))).toBe(5);
      expect(await loadCounters(redis, tenantId, deviceId, now)).toMatchObject({ deviceActiveCalls: 5, tenantActiveCalls: 5 });
    } finally {
      await Promise.all(clients.map((c) => c.quit()));
    }
  });

  it("a dead holder's lease lapses: its slot is free once the lease runs out unrenewed", async () => {
    const counters = new CallCounters(redis);
    const t0 = Date.now();
    expect(await counters.reserve(ref('dead'), { deviceConcurrent: 1 }, t0, 300)).toMatchObject({ ok: true });
    expect(await counters.reserve(ref('next'), { deviceConcurrent: 1 }, t0 + 100, 300)).toMatchObject({
      ok: false,
      limit: 'concurrency:device',
      counts: { deviceActiveCalls: 1 },
    });
    await new Promise((r) => setTimeout(r, 400));
    expect(await counters.reserve(ref('next'), { deviceConcurrent: 1 }, Date.now(), 300)).toMatchObject({
      ok: true,
      counts: { deviceActiveCalls: 0 },
    });
  });

  it('a renewed lease keeps counting past its first term; release frees the slot at once', async () => {
    const counters = new CallCounters(redis);
    const t0 = 1_000_000;
    await counters.reserve(ref('a'), {}, t0, 1000);
    expect(await counters.renew(ref('a'), t0 + 900, 1000)).toBe(true);
    expect(await loadCounters(redis, tenantId, deviceId, t0 + 1500)).toMatchObject({ deviceActiveCalls: 1 });
    expect(await loadCounters(redis, tenantId, deviceId, t0 + 2000)).toMatchObject({ deviceActiveCalls: 0 });
    await counters.release(ref('a'));
    expect(await redis.zcard(PolicyCounterKeys.activeCalls(tenantId))).toBe(0);
    // Renewing a lease that had lapsed and been purged takes it again, and says so.
    expect(await counters.renew(ref('a'), t0 + 3000, 1000)).toBe(false);
    expect(await loadCounters(redis, tenantId, deviceId, t0 + 3500)).toMatchObject({ deviceActiveCalls: 1 });
  });

  it('checks in the engine order with its labels: rate windows, then device and tenant concurrency', async () => {
    const counters = new CallCounters(redis);
    const t0 = 5_000_000;
    const limits = { deviceCallsPerMinute: 2, tenantConcurrent: 3 };
    expect(await counters.reserve(ref('a'), limits, t0, 60_000)).toMatchObject({ ok: true });
    expect(await counters.reserve(ref('b'), limits, t0 + 1, 60_000)).toMatchObject({ ok: true });
    expect(await counters.reserve(ref('c'), limits, t0 + 2, 60_000)).toMatchObject({ ok: false, limit: 'rate:device:minute' });
    expect(await counters.reserve(ref('d', 'dev-2'), limits, t0 + 3, 60_000)).toMatchObject({ ok: true });
    expect(await counters.reserve(ref('e', 'dev-3'), limits, t0 + 4, 60_000)).toMatchObject({
      ok: false,
      limit: 'concurrency:tenant',
      counts: { tenantActiveCalls: 3, tenantCallsLastMinute: 3 },
    });
    // A minute later the window has slid, but the three calls still hold the tenant's slots.
    await counters.release(ref('a'));
    expect(await counters.reserve(ref('f'), limits, t0 + 61_000, 60_000)).toMatchObject({ ok: true });
  });

  it('a second reserve of the same call renews its lease and counts it once', async () => {
    const counters = new CallCounters(redis);
    await counters.reserve(ref('a'), { deviceConcurrent: 1 }, 1000, 5000);
    expect(await counters.reserve(ref('a'), { deviceConcurrent: 1 }, 2000, 5000)).toMatchObject({ ok: true, alreadyHeld: true });
    expect(await redis.zcard(PolicyCounterKeys.deviceCalls(tenantId, deviceId))).toBe(1);
  });

  it('adds spend to the local day and month and returns the totals', async () => {
    const counters = new CallCounters(redis);
    const now = Date.UTC(2026, 2, 2, 23, 30);
    expect(await counters.addSpend(tenantId, 1.5, now, 'Europe/Paris')).toEqual({ today: 1.5, month: 1.5 });
    expect(await counters.addSpend(tenantId, 0.25, now, 'Europe/Paris')).toEqual({ today: 1.75, month: 1.75 });
    expect(await redis.get(PolicyCounterKeys.spendDay(tenantId, '2026-03-03'))).toBe('1.75');
  });
});
