import { recordCallEnd, recordCallStart, recordDestinationCountry, recordShortInbound } from '@pbx/common';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { startApi, TestApi } from './harness';
import { clearCounters, FRANCE, LONDON, policyClient, policyTenant, seedDevice, T0, testRedis } from './policy-fixtures';

/** Counter-driven rules through /policy/simulate, with the counters seeded in Redis by the module the SIP app uses. */
describe('policy: /api/v1/policy/simulate (counters)', () => {
  let api: TestApi;
  let redis: Redis;
  const tenants: string[] = [];

  beforeAll(async () => {
    api = await startApi();
    redis = testRedis();
  });
  afterAll(async () => {
    for (const id of tenants) await clearCounters(redis, id);
    await redis.quit();
    await api.close();
  });

  const fresh = async () => {
    const t = await policyTenant(api);
    tenants.push(t.id);
    return { t, c: policyClient(api, t) };
  };
  const start = (tenantId: string, deviceId: string, at: number) =>
    recordCallStart(redis, { tenantId, deviceId, callId: randomUUID(), now: at });

  it('concurrency: the device limit denies the call that would exceed it', async () => {
    const { t, c } = await fresh();
    await start(t.id, t.deviceId, T0 - 5_000);
    expect(await c.simulate(LONDON)).toMatchObject({ decision: 'allow' });
    await start(t.id, t.deviceId, T0 - 4_000);
    expect(await c.simulate(LONDON)).toMatchObject({ decision: 'deny', rule_id: 'concurrency:device' });
  });

  it('concurrency: the tenant limit counts every device; an ended call frees its slot', async () => {
    const { t, c } = await fresh();
    await c.patchPolicy({ tenant_max_concurrent: 2 });
    const other = await seedDevice(api, t.id);
    await start(t.id, other, T0 - 5_000);
    const callId = randomUUID();
    await recordCallStart(redis, { tenantId: t.id, deviceId: other, callId, now: T0 - 4_000 });
    expect(await c.simulate(LONDON)).toMatchObject({ decision: 'deny', rule_id: 'concurrency:tenant' });
    await recordCallEnd(redis, { tenantId: t.id, deviceId: other, callId, now: T0 - 1_000, cost: 0 });
    expect(await c.simulate(LONDON)).toMatchObject({ decision: 'allow' });
  });

  it('calls per minute: the 6th call inside a minute is denied, a minute later it is not', async () => {
    const { t, c } = await fresh();
    await c.patchPolicy({ max_calls_per_minute: 5, max_concurrent: null });
    for (let i = 0; i < 4; i++) await start(t.id, t.deviceId, T0 - 50_000 + i);
    expect(await c.simulate(LONDON)).toMatchObject({ decision: 'allow' });
    await start(t.id, t.deviceId, T0 - 40_000);
    expect(await c.simulate(LONDON)).toMatchObject({ decision: 'deny', rule_id: 'rate:device:minute' });
    expect(await c.simulate(LONDON, { time: new Date(T0 + 20_001).toISOString() })).toMatchObject({ decision: 'allow' });
  });

  it('calls per hour: counted over a sliding hour', async () => {
    const { t, c } = await fresh();
    await c.patchPolicy({ max_calls_per_hour: 3, max_concurrent: null });
    for (const minutesAgo of [50, 30]) await start(t.id, t.deviceId, T0 - minutesAgo * 60_000);
    expect(await c.simulate(LONDON)).toMatchObject({ decision: 'allow' });
    await start(t.id, t.deviceId, T0 - 10 * 60_000);
    expect(await c.simulate(LONDON)).toMatchObject({ decision: 'deny', rule_id: 'rate:device:hour' });
    // 11 minutes on, the call of 50 minutes ago has left the window.
    expect(await c.simulate(LONDON, { time: new Date(T0 + 11 * 60_000).toISOString() })).toMatchObject({ decision: 'allow' });
  });

  it('daily cap: the call whose first unit would cross it is denied with the escalation level', async () => {
    const { t, c } = await fresh();
    await c.patchPolicy({ daily_cap: 10, daily_escalation: 1 });
    await c.addRate({ prefix: '+33', per_minute: 0.5, first_increment_seconds: 60, connection_fee: 0.1 });
    await recordCallEnd(redis, { tenantId: t.id, deviceId: t.deviceId, callId: 'a', now: T0 - 3_600_000, cost: 9.3 }, { timezone: 'Europe/London' });
    expect(await c.simulate(FRANCE)).toMatchObject({ decision: 'allow', estimated_cost: 0.6 });
    await recordCallEnd(redis, { tenantId: t.id, deviceId: t.deviceId, callId: 'b', now: T0 - 60_000, cost: 0.2 }, { timezone: 'Europe/London' });
    expect(await c.simulate(FRANCE)).toMatchObject({
      decision: 'deny',
      rule_id: 'cap:daily',
      escalate_lock_level: 1,
      estimated_cost: 0.6,
    });
    // No rate for +44: nothing to price, so the cap does not apply to it.
    expect(await c.simulate(LONDON)).toMatchObject({ decision: 'allow' });
    // The next day starts from zero.
    expect(await c.simulate(FRANCE, { time: new Date(T0 + 86_400_000).toISOString() })).toMatchObject({ decision: 'allow' });
  });

  it('monthly cap: spend of earlier days counts; escalation 2 by default', async () => {
    const { t, c } = await fresh();
    await c.patchPolicy({ monthly_cap: 100 });
    await c.addRate({ prefix: '+33', per_minute: 1 });
    const march1 = Date.parse('2026-03-01T10:00:00Z');
    await recordCallEnd(redis, { tenantId: t.id, deviceId: t.deviceId, callId: 'a', now: march1, cost: 98.5 }, { timezone: 'Europe/London' });
    expect(await c.simulate(FRANCE)).toMatchObject({ decision: 'allow', estimated_cost: 1 });
    await recordCallEnd(redis, { tenantId: t.id, deviceId: t.deviceId, callId: 'b', now: march1, cost: 1 }, { timezone: 'Europe/London' });
    expect(await c.simulate(FRANCE)).toMatchObject({ decision: 'deny', rule_id: 'cap:monthly', escalate_lock_level: 2 });
    expect(await c.simulate(FRANCE, { time: '2026-04-01T10:00:00Z' })).toMatchObject({ decision: 'allow' });
  });

  it('step-up: the first calls to a new country are stepped up, later ones allowed', async () => {
    const { t, c } = await fresh();
    await c.patchPolicy({ step_up_first_calls: 2, step_up_max_duration_seconds: 120 });
    expect(await c.simulate(FRANCE)).toMatchObject({
      decision: 'step_up',
      rule_id: 'step-up:first-seen:FR',
      limits: { max_duration_seconds: 120, max_concurrent: 1 },
    });
    expect(await c.simulate(LONDON)).toMatchObject({ decision: 'allow' });
    await recordDestinationCountry(redis, t.id, t.deviceId, 'FR');
    expect(await c.simulate(FRANCE)).toMatchObject({ decision: 'step_up', reason: expect.stringContaining('call 2 of the first 2') });
    await recordDestinationCountry(redis, t.id, t.deviceId, 'FR');
    expect(await c.simulate(FRANCE)).toMatchObject({ decision: 'allow', rule_id: 'country-tier:low:FR' });
  });

  it('step-up can be switched off for one device by its override', async () => {
    const { t, c } = await fresh();
    await c.patchPolicy({ step_up_first_calls: 3 });
    await c.ok('PUT', `/api/v1/devices/${t.deviceId}/policy`, { step_up_enabled: false });
    expect(await c.simulate(FRANCE)).toMatchObject({ decision: 'allow' });
  });

  it('wangiri: a callback to a short inbound caller is refused within the window and allowed after it', async () => {
    const { t, c } = await fresh();
    await c.patchPolicy({ wangiri_window_seconds: 3600 });
    await recordShortInbound(redis, t.id, FRANCE, T0 - 10 * 60_000);
    expect(await c.simulate('0033 1 42 68 53 00')).toMatchObject({ decision: 'deny', rule_id: 'wangiri' });
    expect(await c.simulate('+33142685301')).toMatchObject({ decision: 'allow' });
    expect(await c.simulate(FRANCE, { time: new Date(T0 + 51 * 60_000).toISOString() })).toMatchObject({ decision: 'allow' });
    await c.patchPolicy({ wangiri_window_seconds: null });
    expect(await c.simulate(FRANCE)).toMatchObject({ decision: 'allow' });
  });

  it('what-if counters override the live ones', async () => {
    const { c } = await fresh();
    expect(await c.simulate(LONDON, { counters: { device_active_calls: 2 } })).toMatchObject({ rule_id: 'concurrency:device' });
    await c.patchPolicy({ step_up_first_calls: 1 });
    expect(await c.simulate(FRANCE, { counters: { device_country_calls: { fr: 1 } } })).toMatchObject({ decision: 'allow' });
    const recent = [{ number: FRANCE, at: new Date(T0 - 1000).toISOString() }];
    expect(await c.simulate(FRANCE, { counters: { recent_short_inbound: recent } })).toMatchObject({ rule_id: 'wangiri' });
  });
});
