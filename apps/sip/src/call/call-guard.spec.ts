import { AuthoriseCallUseCase, CallCounters, PolicyCache, PolicyEvaluator, type EnforcementTarget } from '@pbx/call-control';
import { loadCounters, PolicyCounterKeys } from '@pbx/common';
import type { PolicyData } from '@pbx/policy';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { CallGuard } from './call-guard';

const LONDON = '+442079460018';
const log = pino({ level: 'silent' });
const until = async (cond: () => boolean, ms = 3000) => {
  for (const deadline = Date.now() + ms; !cond(); ) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** The guard of running calls over the real use case and a real Redis; the SIP legs are a callback. */
describe('CallGuard (real Redis)', () => {
  let redis: Redis;
  let tenantId: string;
  let escalations: EnforcementTarget[];
  const deviceId = 'dev-1';

  const authorise = (policy: Partial<PolicyData>) => {
    const cache = new PolicyCache({
      load: async (id) => ({
        data: { tenantId: id, country: 'GB', timezone: 'UTC', lockLevel: 0, ...policy },
        tenant: { id, defaultCountry: 'GB', timezone: 'UTC', lockLevel: 0, lockReason: null },
      }),
    });
    const escalate = async (t: EnforcementTarget) => escalations.push(t);
    const uc = new AuthoriseCallUseCase(new PolicyEvaluator(cache, redis), new CallCounters(redis), redis, { leaseMs: 600, escalate });
    return (callId = randomUUID()) =>
      uc.execute({ tenantId, deviceId, dialed: LONDON, sourceIp: '10.0.0.1', timestamp: Date.now(), callId, mode: 'reserve' });
  };
  const guard = (a: Awaited<ReturnType<ReturnType<typeof authorise>>>, ended: string[]) =>
    new CallGuard(a, deviceId, { counters: new CallCounters(redis), escalate: async (t) => escalations.push(t), leaseMs: 600, accrualMs: 100 }, log, (r) =>
      ended.push(r),
    );

  beforeAll(() => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 2 });
  });
  afterAll(() => redis.quit());
  beforeEach(() => {
    tenantId = `test-${randomUUID()}`;
    escalations = [];
  });
  afterEach(async () => {
    const keys = await redis.keys(`pbx:pc:${tenantId}:*`);
    if (keys.length) await redis.del(...keys);
  });

  it('renews the lease while the call runs and frees the slot when it stops', async () => {
    const a = await authorise({ limits: { maxConcurrent: 1 } })();
    const g = guard(a, []);
    g.start();
    await new Promise((r) => setTimeout(r, 1000)); // past the 600 ms lease
    expect((await loadCounters(redis, tenantId, deviceId, Date.now())).deviceActiveCalls).toBe(1);
    await g.stop(Date.now());
    expect(await redis.zcard(PolicyCounterKeys.deviceActiveCalls(tenantId, deviceId))).toBe(0);
  });

  it('ends the call at its max duration', async () => {
    const a = await authorise({ limits: { maxDurationSeconds: 1 } })();
    const ended: string[] = [];
    const g = guard(a, ended);
    g.start();
    g.answered(Date.now());
    await until(() => ended.length > 0, 2000);
    expect(ended[0]).toContain('max duration of 1 s');
    await g.stop(Date.now());
  });

  it('accrues spend while answered calls run; the increments that cross the cap end them and ask for the escalation', async () => {
    // 6/min = 0.1/s, first increment 1 s: each call spends about 0.1 per second it runs.
    const place = authorise({
      rates: [{ prefix: '+44', perMinute: 6, firstIncrementSeconds: 1 }],
      spendCaps: { daily: 0.5, dailyEscalation: 1 },
    });
    const ended: string[][] = [[], []];
    const guards = [];
    for (const e of ended) {
      const a = await place();
      expect(a.decision.decision).toBe('allow');
      const g = guard(a, e);
      g.start();
      g.answered(Date.now());
      guards.push(g);
    }
    await until(() => ended.every((e) => e.length > 0), 5000);
    for (const e of ended) expect(e[0]).toBe('spend cap crossed (cap:daily)');
    const costs = await Promise.all(guards.map((g) => g.stop(Date.now())));
    const spent = Number(await redis.get(PolicyCounterKeys.spendDay(tenantId, new Date().toISOString().slice(0, 10))));
    expect(spent).toBeCloseTo(costs[0] + costs[1], 5);
    // Ended within a couple of accruals of the crossing: about 0.5 between them, not minutes' worth.
    expect(spent).toBeGreaterThan(0.5);
    expect(spent).toBeLessThan(0.9);
    // Each call that crossed asks for the escalation; enforceDecision raises the level only once.
    expect(escalations.length).toBeGreaterThanOrEqual(1);
    expect(escalations[0]).toMatchObject({ tenantId, deviceId, decision: { ruleId: 'cap:daily', escalateLockLevel: 1 } });
  });
});
