import { publishInvalidation } from '@pbx/common';
import { PolicyRepository } from '@pbx/database';
import type Redis from 'ioredis';
import { login, seedUser, startApi, TestApi } from './harness';
import { LONDON, policyClient, PolicyTenant, policyTenant, testRedis } from './policy-fixtures';

describe('policy: invalidation messages, RBAC and tenant isolation', () => {
  let api: TestApi;
  let a: PolicyTenant;
  let b: PolicyTenant;
  let ca: ReturnType<typeof policyClient>;

  beforeAll(async () => {
    api = await startApi();
    a = await policyTenant(api);
    b = await policyTenant(api);
    ca = policyClient(api, a);
  });
  afterAll(() => api.close());

  describe('invalidation', () => {
    let sub: Redis;
    const received: Array<{ kind: string; tenantId: string | null; id: string | null }> = [];

    beforeAll(async () => {
      sub = testRedis();
      sub.on('message', (_channel: string, raw: string) => received.push(JSON.parse(raw)));
      await sub.subscribe('pbx:invalidate');
    });
    afterAll(() => sub.quit());

    const arrives = async (match: (m: (typeof received)[number]) => boolean) => {
      const deadline = Date.now() + 1000;
      while (Date.now() < deadline) {
        if (received.some(match)) return true;
        await new Promise((r) => setTimeout(r, 20));
      }
      return false;
    };

    it.each([
      ['PATCH /policy', () => ca.patchPolicy({ max_calls_per_hour: 100 })],
      ['PUT /policy/lock-level', () => ca.setLock(0)],
      ['POST destination rule', () => ca.addRule({ kind: 'country', country: 'NZ', action: 'deny' })],
      ['POST source rule', () => ca.addSource({ kind: 'country_deny', value: 'KP' })],
      ['POST rate', () => ca.addRate({ prefix: '+64', per_minute: 0.3 })],
      ['PUT device policy', () => ca.ok('PUT', `/api/v1/devices/${a.deviceId}/policy`, { max_concurrent: 3 })],
      ['PUT device lock-level', () => ca.ok('PUT', `/api/v1/devices/${a.deviceId}/lock-level`, { level: 0 })],
    ])('%s publishes a policy invalidation for the tenant within 1 s', async (_name, change) => {
      received.length = 0;
      await change();
      expect(await arrives((m) => m.kind === 'policy' && m.tenantId === a.id)).toBe(true);
    });

    it("another process's invalidation message drops this API's cached policy", async () => {
      const t = await policyTenant(api);
      const c = policyClient(api, t);
      expect(await c.simulate(LONDON)).toMatchObject({ decision: 'allow' });
      // As the SIP app's enforcement would: the row changes behind the API's back, then a message.
      await api.app.get(PolicyRepository).setTenantLock(t.id, 3, 'elsewhere');
      expect(await c.simulate(LONDON)).toMatchObject({ decision: 'allow' });
      const publisher = testRedis();
      await publishInvalidation(publisher, 'policy', t.id);
      await publisher.quit();
      const deadline = Date.now() + 1000;
      let decision = await c.simulate(LONDON);
      while (decision.decision === 'allow' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        decision = await c.simulate(LONDON);
      }
      expect(decision).toMatchObject({ decision: 'deny', rule_id: 'lock-level:3' });
    });

    it('a failed change publishes nothing', async () => {
      received.length = 0;
      await ca.call('PATCH', '/api/v1/policy', { max_concurrent: -1 });
      expect(await arrives((m) => m.tenantId === a.id)).toBe(false);
    });
  });

  describe('access', () => {
    it('agents get 403 everywhere; supervisors view and simulate but cannot change; auditors cannot simulate', async () => {
      const token = async (roles: string[]) => (await login(api, await seedUser(api, a.id, roles))).access;
      const [agent, supervisor, auditor] = await Promise.all([token(['agent']), token(['supervisor']), token(['auditor'])]);
      const simulate = { device_id: a.deviceId, destination: LONDON, source_ip: '81.2.69.160' };
      const cases: Array<[string, string, string, unknown, number]> = [
        [agent, 'GET', '/api/v1/policy', undefined, 403],
        [agent, 'POST', '/api/v1/policy/simulate', simulate, 403],
        [agent, 'GET', '/api/v1/policy/rates', undefined, 403],
        [agent, 'GET', `/api/v1/devices/${a.deviceId}/policy`, undefined, 403],
        [supervisor, 'GET', '/api/v1/policy/destination-rules', undefined, 200],
        [supervisor, 'POST', '/api/v1/policy/simulate', simulate, 200],
        [supervisor, 'PATCH', '/api/v1/policy', { max_concurrent: 1 }, 403],
        [supervisor, 'PUT', '/api/v1/policy/lock-level', { level: 0 }, 403],
        [supervisor, 'PUT', `/api/v1/devices/${a.deviceId}/lock-level`, { level: 0 }, 403],
        [auditor, 'GET', '/api/v1/policy/source-rules', undefined, 200],
        [auditor, 'POST', '/api/v1/policy/simulate', simulate, 403],
      ];
      for (const [tok, method, path, body, status] of cases) {
        const res = await api.request(method, path, { token: tok, body });
        expect(`${method} ${path} → ${res.status}`).toBe(`${method} ${path} → ${status}`);
      }
      expect((await api.request('GET', '/api/v1/policy')).status).toBe(401);
    });

    it("simulating with another tenant's device is a 422 on device_id", async () => {
      const res = await ca.call('POST', '/api/v1/policy/simulate', { device_id: b.deviceId, destination: LONDON, source_ip: '81.2.69.160' });
      expect(res.status).toBe(422);
      expect(res.body.errors).toEqual({ device_id: ['The selected device_id is invalid.'] });
      const bad = await ca.call('POST', '/api/v1/policy/simulate', { device_id: a.deviceId, destination: '', source_ip: '999.1.1.1', time: 'soon' });
      expect(Object.keys(bad.body.errors).sort()).toEqual(['destination', 'source_ip', 'time']);
    });
  });
  it("tenants never see or touch each other's policy, rules, rates or devices", async () => {
    const cb = policyClient(api, b);
    const rate = await ca.addRate({ prefix: '+81', per_minute: 0.2 });
    const source = await ca.addSource({ kind: 'cidr_allow', value: '192.0.2.0/24' });
    await ca.patchPolicy({ daily_cap: 77 });
    expect((await cb.ok('GET', '/api/v1/policy')).data).toMatchObject({ tenant_id: b.id, daily_cap: null });
    expect((await cb.ok('GET', '/api/v1/policy/rates')).data).toEqual([]);
    expect((await cb.ok('GET', '/api/v1/policy/source-rules')).data).toEqual([]);
    for (const path of [`/api/v1/policy/rates/${rate.id}`, `/api/v1/policy/source-rules/${source.id}`]) {
      expect((await cb.call('GET', path)).status).toBe(404);
      expect((await cb.call('DELETE', path)).status).toBe(404);
    }
    expect((await cb.call('PUT', `/api/v1/devices/${a.deviceId}/policy`, { max_concurrent: 9 })).status).toBe(404);
    // B's calls are not bound by A's source rule.
    expect(await cb.simulate(LONDON, { source_ip: '8.8.8.8' })).toMatchObject({ decision: 'allow' });
    expect(await ca.simulate(LONDON, { source_ip: '8.8.8.8' })).toMatchObject({ rule_id: 'source-ip:tenant' });
  });
});
