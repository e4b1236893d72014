import { loadCounters, recordCallEnd, recordCallStart, recordShortInbound } from '@pbx/common';
import { enforceDecision } from '@pbx/call-control';
import { AuditLogRepository, PolicyLoader, PolicyRepository } from '@pbx/database';
import { compilePolicy, decide, normalizeDestination } from '@pbx/policy';
import type Redis from 'ioredis';
import { startApi, TestApi } from './harness';
import { PolicyRuntime } from '../../apps/api/src/policy/policy-runtime.service';
import { clearCounters, FRANCE, LONDON, policyClient, policyTenant, seedDevice, T0, testRedis } from './policy-fixtures';
import { InvalidationService } from '../../apps/api/src/redis/invalidation.service';

describe('policy: spend escalation and engine agreement', () => {
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

  it('a crossed cap raises the lock level once (alert, system audit entry); an admin lowers it and calls flow again', async () => {
    const t = await policyTenant(api);
    tenants.push(t.id);
    const c = policyClient(api, t);
    await c.patchPolicy({ daily_cap: 5, daily_escalation: 2 });
    await c.addRate({ prefix: '+33', per_minute: 1 });
    await recordCallEnd(redis, { tenantId: t.id, deviceId: t.deviceId, callId: 'x', now: T0 - 60_000, cost: 4.5 }, { timezone: 'Europe/London' });

    const runtime = api.app.get(PolicyRuntime);
    const deps = {
      policies: api.app.get(PolicyRepository),
      auditLog: api.app.get(AuditLogRepository),
      auditKey: api.config.AUDIT_HMAC_KEY,
      invalidation: api.app.get(InvalidationService).shared,
      cache: runtime.cache,
    };
    // Exactly what the SIP app does per INVITE: evaluate, then enforce the decision's side effects.
    const call = { tenantId: t.id, deviceId: t.deviceId, dialed: FRANCE, sourceIp: '81.2.69.160', timestamp: T0 };
    const { decision } = await runtime.evaluator.evaluate(call);
    expect(decision).toMatchObject({ decision: 'deny', ruleId: 'cap:daily', escalateLockLevel: 2 });
    const first = await enforceDecision(deps, { tenantId: t.id, deviceId: t.deviceId, decision });
    expect(first).toMatchObject({ raised: true, scope: 'tenant', previousLevel: 0, level: 2 });
    // A second capped call in the same burst does not raise again nor add an alert.
    expect(await enforceDecision(deps, { tenantId: t.id, deviceId: t.deviceId, decision })).toEqual({ raised: false, scope: 'tenant' });

    const policy = (await c.ok('GET', '/api/v1/policy')).data;
    expect(policy).toMatchObject({ lock_level: 2, lock_reason: expect.stringContaining('cap:daily') });
    const alerts = await deps.policies.alertsOf(t.id, ['spend_cap']);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      id: first.alertId,
      severity: 'critical',
      status: 'open',
      deviceId: null,
      details: { rule_id: 'cap:daily', previous_lock_level: 0, lock_level: 2, scope: 'tenant', device_id: t.deviceId },
    });
    const audit = (await deps.auditLog.list(t.id, { page: 1, perPage: 50, sort: [], filters: { action: 'policy.lock_escalated' } })).items;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorUserId: null, userAgent: 'system', targetType: 'tenant', targetId: t.id });

    expect(await c.simulate(LONDON)).toMatchObject({ decision: 'deny', rule_id: 'lock-level:2' });
    expect(await c.simulate('1001')).toMatchObject({ decision: 'allow', rule_id: 'internal' });

    await c.setLock(0);
    expect((await c.ok('GET', '/api/v1/policy')).data).toMatchObject({ lock_level: 0, lock_reason: null });
    expect(await c.simulate(LONDON)).toMatchObject({ decision: 'allow' });
    // France is still over today's cap, but the lock stays where the admin put it until the next enforcement.
    expect(await c.simulate(FRANCE)).toMatchObject({ decision: 'deny', rule_id: 'cap:daily' });
    expect(await c.simulate(FRANCE, { time: new Date(T0 + 86_400_000).toISOString() })).toMatchObject({ decision: 'allow' });
  });

  it('device-scoped escalation locks the device (status locked), never lowers it, and the device endpoint unlocks it', async () => {
    const t = await policyTenant(api);
    tenants.push(t.id);
    const c = policyClient(api, t);
    const runtime = api.app.get(PolicyRuntime);
    const deps = {
      policies: api.app.get(PolicyRepository),
      auditLog: api.app.get(AuditLogRepository),
      auditKey: api.config.AUDIT_HMAC_KEY,
      invalidation: api.app.get(InvalidationService).shared,
      cache: runtime.cache,
    };
    const decision = { decision: 'deny' as const, ruleId: 'cap:daily', reason: 'test', escalateLockLevel: 1 as const };
    await c.ok('PUT', `/api/v1/devices/${t.deviceId}/lock-level`, { level: 3, reason: 'manual' });
    expect(await enforceDecision(deps, { tenantId: t.id, deviceId: t.deviceId, decision, scope: 'device' })).toMatchObject({ raised: false });
    await c.ok('PUT', `/api/v1/devices/${t.deviceId}/lock-level`, { level: 0 });
    const raised = await enforceDecision(deps, { tenantId: t.id, deviceId: t.deviceId, decision, scope: 'device' });
    expect(raised).toMatchObject({ raised: true, scope: 'device', level: 1 });
    expect((await c.ok('GET', `/api/v1/devices/${t.deviceId}/policy`)).data).toMatchObject({ lock_level: 1, status: 'locked' });
    expect((await c.ok('GET', '/api/v1/policy')).data.lock_level).toBe(0);
    expect(await c.simulate(FRANCE)).toMatchObject({ rule_id: 'lock-level:1' });
  });

  it('/policy/simulate agrees with decide() over the same loaded policy and counters, for random destinations', async () => {
    const t = await policyTenant(api);
    tenants.push(t.id);
    const c = policyClient(api, t);
    const other = await seedDevice(api, t.id);
    await c.patchPolicy({
      daily_cap: 3,
      monthly_cap: 50,
      step_up_first_calls: 2,
      max_calls_per_hour: 40,
      international_hours: { days: [1, 2, 3, 4, 5], start: '08:00', end: '13:30' },
    });
    await c.addRule({ kind: 'prefix', prefix: '+44', action: 'allow' });
    await c.addRule({ kind: 'prefix', prefix: '+447', action: 'deny' });
    await c.addRule({ kind: 'country', country: 'JM', action: 'allow' });
    await c.addRule({ kind: 'country', country: 'DE', action: 'deny', device_id: other });
    await c.addRule({ kind: 'prefix', prefix: '+1', action: 'deny', device_id: t.deviceId });
    await c.addSource({ kind: 'country_deny', value: 'US', device_id: other });
    await c.ok('PUT', `/api/v1/devices/${other}/policy`, { max_duration_seconds: 90, step_up_enabled: false });
    for (const [prefix, perMinute] of [['+33', 0.5], ['+1', 0.1], ['+44', 0.02], ['+4989', 2]] as const) {
      await c.addRate({ prefix, per_minute: perMinute });
    }
    await recordCallEnd(redis, { tenantId: t.id, deviceId: t.deviceId, callId: 's', now: T0 - 1000, cost: 2.6 }, { timezone: 'Europe/London' });
    await recordCallStart(redis, { tenantId: t.id, deviceId: other, callId: 'live', now: T0 - 1000 });
    await recordShortInbound(redis, t.id, '+33142685300', T0 - 60_000);

    const { data } = await api.app.get(PolicyLoader).load(t.id);
    const compiled = compilePolicy(data);
    let seed = 20260302;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const codes = ['33', '44', '447', '1', '1876', '53', '49', '4989', '882', '371', '7', '86', '2'];
    const digits = (n: number) => Array.from({ length: n }, () => String(rand(10))).join('');
    const destinations = ['999', '112', '1001', 'nonsense', '020 7946 0018', '+33142685300'];
    while (destinations.length < 80) {
      const code = codes[rand(codes.length)];
      const format = rand(3);
      const national = digits(8 + rand(3));
      destinations.push(format === 0 ? `+${code}${national}` : format === 1 ? `00${code}${national}` : `0${national.slice(0, 10)}`);
    }
    let checked = 0;
    const outcomes = new Set<string>();
    for (const destination of destinations) {
      const deviceId = rand(2) === 0 ? t.deviceId : other;
      const time = new Date(T0 - rand(6 * 60) * 60_000).toISOString();
      const sourceIp = ['81.2.69.160', '8.8.8.8', '10.0.0.1'][rand(3)];
      const simulated = await c.simulate(destination, { device_id: deviceId, time, source_ip: sourceIp });

      const normalized = normalizeDestination(destination, 'GB', { emergencyNumbers: compiled.emergencyNumbers });
      if (normalized.kind === 'invalid') {
        expect(simulated).toMatchObject({ decision: 'deny', rule_id: 'invalid-destination' });
        continue;
      }
      const dest = normalized.kind === 'e164' ? normalized.e164 : normalized.kind === 'emergency' ? normalized.number : normalized.extension;
      const at = Date.parse(time);
      const counters = await loadCounters(redis, t.id, deviceId, at, { timezone: 'Europe/London', destination: dest });
      const sourceCountry = { '81.2.69.160': 'GB', '8.8.8.8': 'US' }[sourceIp];
      const direct = decide(
        compiled,
        counters,
        { deviceId, destination: dest, kind: normalized.kind, sourceIp, sourceCountry, timestamp: at },
        { explain: true },
      );
      expect({
        decision: simulated.decision,
        ruleId: simulated.rule_id,
        reason: simulated.reason,
        scope: simulated.scope ?? undefined,
        country: simulated.country ?? undefined,
        tier: simulated.tier ?? undefined,
        estimatedCost: simulated.estimated_cost ?? undefined,
        escalateLockLevel: simulated.escalate_lock_level ?? undefined,
        limits: simulated.limits ?? undefined,
        trace: simulated.trace,
      }).toEqual({
        decision: direct.decision,
        ruleId: direct.ruleId,
        reason: direct.reason,
        scope: direct.scope,
        country: direct.country,
        tier: direct.tier,
        estimatedCost: direct.estimatedCost,
        escalateLockLevel: direct.escalateLockLevel,
        limits: direct.limits
          ? { max_duration_seconds: direct.limits.maxDurationSeconds ?? null, max_concurrent: direct.limits.maxConcurrent ?? null }
          : undefined,
        trace: direct.trace,
      });
      checked++;
      outcomes.add(String(simulated.rule_id).replace(/^prefix:.*/, 'prefix'));
    }
    expect(checked).toBeGreaterThan(50);
    // The batch exercises most steps of the engine, not one rule sixty times.
    expect(outcomes.size).toBeGreaterThanOrEqual(10);
  });
});
