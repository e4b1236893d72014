import { PolicyCounterKeys, recordCallEnd } from '@pbx/common';
import type { PolicyData } from '@pbx/policy';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { AuthoriseCallUseCase } from './authorise-call.use-case';
import { CallCounters } from './call-counters';
import type { EnforcementTarget } from './enforce';
import { PolicyEvaluator } from './evaluate';
import { PolicyCache } from './policy-cache';

const LONDON = '+442079460018';
const PARIS = '+33142685300';

/** The use case over a real Redis and an in-memory policy source. */
describe('AuthoriseCallUseCase', () => {
  let redis: Redis;
  let tenantId: string;
  let escalations: EnforcementTarget[];
  const deviceId = 'dev-1';
  const now = Date.UTC(2026, 2, 2, 12, 0);

  const gate = (policy: Partial<PolicyData> = {}) => {
    const cache = new PolicyCache({
      load: async (id) => ({
        data: {
          tenantId: id,
          country: 'GB',
          timezone: 'Europe/London',
          lockLevel: 0,
          limits: { maxConcurrent: 1 },
          rates: [{ prefix: '+44', perMinute: 0.6, connectionFee: 0.1 }],
          stepUp: { firstCalls: 2, maxDurationSeconds: 120 },
          ...policy,
        },
        tenant: { id, defaultCountry: 'GB', timezone: 'Europe/London', lockLevel: 0, lockReason: null },
      }),
    });
    return new AuthoriseCallUseCase(new PolicyEvaluator(cache, redis), new CallCounters(redis), redis, {
      leaseMs: 30_000,
      escalate: async (t) => escalations.push(t),
    });
  };
  const call = (dialed: string, mode: 'reserve' | 'dry-run' = 'reserve', callId = randomUUID()) => ({
    tenantId,
    deviceId,
    dialed,
    sourceIp: '10.0.0.1',
    timestamp: now,
    callId,
    mode,
  });

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

  it('a dry run decides like a call but takes nothing', async () => {
    const result = await gate().execute({ ...call(LONDON, 'dry-run'), explain: true });
    expect(result.decision).toMatchObject({ decision: 'allow', scope: 'national', country: 'GB' });
    expect(result.decision.trace?.length).toBeGreaterThan(0);
    expect(result.lease).toBeUndefined();
    expect(result.rate).toMatchObject({ perMinute: 0.6, connectionFee: 0.1 });
    expect(await redis.exists(PolicyCounterKeys.activeCalls(tenantId))).toBe(0);
  });

  it('10 simultaneous calls against a limit of 1: one lease, nine refusals naming the engine rule', async () => {
    const uc = gate();
    const results = await Promise.all(Array.from({ length: 10 }, () => uc.execute(call(LONDON))));
    const allowed = results.filter((r) => r.decision.decision === 'allow');
    expect(allowed).toHaveLength(1);
    expect(allowed[0].lease).toMatchObject({ tenantId, deviceId });
    for (const r of results.filter((x) => x.decision.decision !== 'allow')) {
      expect(r.lease).toBeUndefined();
      expect(r.decision).toMatchObject({ decision: 'deny', ruleId: 'concurrency:device', reason: 'device already has 1 of 1 calls', scope: 'national' });
    }
    // And what the simulator now says for the same call is the same refusal.
    expect((await uc.execute(call(LONDON, 'dry-run'))).decision).toMatchObject({ ruleId: 'concurrency:device' });
  });

  it('internal calls are decided but hold no lease', async () => {
    const result = await gate().execute(call('1001'));
    expect(result.decision).toMatchObject({ decision: 'allow', ruleId: 'internal' });
    expect(result.lease).toBeUndefined();
  });

  it('a first call to a new country is stepped up: one at a time, reduced duration, and counted for the country', async () => {
    const uc = gate({ limits: { maxConcurrent: 5 }, destinations: { countries: { FR: 'allow' } } });
    const first = await uc.execute(call(PARIS));
    expect(first.decision).toMatchObject({ decision: 'step_up', limits: { maxDurationSeconds: 120, maxConcurrent: 1 } });
    expect(first.lease).toBeDefined();
    expect(await redis.hget(PolicyCounterKeys.deviceCountries(tenantId, deviceId), 'FR')).toBe('1');
    const second = await uc.execute(call(PARIS));
    expect(second.decision).toMatchObject({ decision: 'deny', ruleId: 'step-up:concurrency' });
  });

  it('a call over the daily cap is refused and escalates the lock; a dry run does not escalate', async () => {
    const uc = gate({ spendCaps: { daily: 1, dailyEscalation: 2 } });
    await recordCallEnd(redis, { tenantId, deviceId, callId: 'x', now, cost: 0.9 }, { timezone: 'Europe/London' });
    expect((await uc.execute(call(LONDON, 'dry-run'))).decision).toMatchObject({ decision: 'deny', ruleId: 'cap:daily', escalateLockLevel: 2 });
    expect(escalations).toHaveLength(0);
    const result = await uc.execute(call(LONDON));
    expect(result.decision).toMatchObject({ decision: 'deny', ruleId: 'cap:daily' });
    expect(escalations).toEqual([{ tenantId, deviceId, decision: result.decision }]);
  });
});
