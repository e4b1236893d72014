import { AlertEntity, AlertInsert, AlertsRepository, AuditLogRepository } from '@pbx/database';
import { randomUUID } from 'node:crypto';
import { login, seedTenant, seedUser, SeededUser, startApi, TestApi } from './harness';

const ALERT_KEYS = [
  'acknowledged_at',
  'acknowledged_by',
  'created_at',
  'dedupe_key',
  'details',
  'device_id',
  'id',
  'kind',
  'last_seen_at',
  'occurrences',
  'resolved_at',
  'resolved_by',
  'severity',
  'status',
  'tenant_id',
  'title',
];

describe('alerts: /api/v1/alerts', () => {
  let api: TestApi;
  let tenantA: { id: string };
  let tenantB: { id: string };
  let supervisor: SeededUser;
  let supToken: string;
  let auditorToken: string;
  let agentToken: string;
  let adminBToken: string;
  const device = randomUUID();

  const raise = (over: Partial<AlertInsert> = {}, tenantId = tenantA.id): Promise<AlertEntity> =>
    api.app.get(AlertsRepository).insert({
      tenantId,
      kind: 'fraud.burst',
      severity: 'warning',
      title: 'Burst of international calls',
      details: { calls: 12 },
      ...over,
    });

  beforeAll(async () => {
    api = await startApi();
    tenantA = await seedTenant(api, 'Alerts A');
    tenantB = await seedTenant(api, 'Alerts B');
    supervisor = await seedUser(api, tenantA.id, ['supervisor']);
    supToken = (await login(api, supervisor)).access;
    auditorToken = (await login(api, await seedUser(api, tenantA.id, ['auditor']))).access;
    agentToken = (await login(api, await seedUser(api, tenantA.id, ['agent']))).access;
    adminBToken = (await login(api, await seedUser(api, tenantB.id, ['tenant_admin']))).access;
  });
  afterAll(() => api.close());

  const post = (id: string, action: string, token = supToken) =>
    api.request('POST', `/api/v1/alerts/${id}/${action}`, { token });
  const auditOf = async (id: string) =>
    (
      await api.app
        .get(AuditLogRepository)
        .list(tenantA.id, { page: 1, perPage: 100, sort: [], filters: { target_id: id } })
    ).items;

  it('acknowledges then resolves, recording who and when, audited at each step', async () => {
    const alert = await raise({ deviceId: device });
    const ack = await post(alert.id, 'acknowledge');
    expect(ack.status).toBe(200);
    expect(Object.keys(ack.body)).toEqual(['data']);
    expect(Object.keys(ack.body.data).sort()).toEqual(ALERT_KEYS);
    expect(ack.body.data).toMatchObject({
      status: 'acknowledged',
      acknowledged_by: supervisor.id,
      resolved_by: null,
      resolved_at: null,
      device_id: device,
      details: { calls: 12 },
    });
    expect(Date.now() - Date.parse(ack.body.data.acknowledged_at)).toBeLessThan(60_000);
    const res = await post(alert.id, 'resolve');
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      status: 'resolved',
      acknowledged_by: supervisor.id,
      resolved_by: supervisor.id,
    });
    expect(res.body.data.resolved_at).toEqual(expect.any(String));
    const audit = await auditOf(alert.id);
    expect(audit.map((a) => a.action).sort()).toEqual(['alert.acknowledged', 'alert.resolved']);
    expect(audit.find((a) => a.action === 'alert.resolved')).toMatchObject({
      actorUserId: supervisor.id,
      targetType: 'alert',
      result: 'success',
      metadata: { from: 'acknowledged', to: 'resolved', kind: 'fraud.burst', severity: 'warning' },
    });
  });

  it('resolves an open alert directly, leaving acknowledged_* empty', async () => {
    const alert = await raise();
    const res = await post(alert.id, 'resolve');
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ status: 'resolved', acknowledged_by: null, acknowledged_at: null });
  });

  it('answers invalid transitions with 422 and changes nothing', async () => {
    const acked = await raise();
    await post(acked.id, 'acknowledge');
    const again = await post(acked.id, 'acknowledge');
    expect(again.status).toBe(422);
    expect(again.body.errors).toEqual({ status: ['An alert that is acknowledged cannot be acknowledged.'] });

    const resolved = await raise();
    await post(resolved.id, 'resolve');
    for (const action of ['acknowledge', 'resolve']) {
      const res = await post(resolved.id, action);
      expect(res.status).toBe(422);
      expect(res.body.errors.status[0]).toMatch(/^An alert that is resolved cannot be/);
    }
    const show = await api.request('GET', `/api/v1/alerts/${resolved.id}`, { token: supToken });
    expect(show.body.data).toMatchObject({ status: 'resolved', acknowledged_by: null });
    expect((await auditOf(resolved.id)).map((a) => a.action)).toEqual(['alert.resolved']);
  });

  it('lets only one of two simultaneous acknowledgements win', async () => {
    const alert = await raise();
    const results = await Promise.all([post(alert.id, 'acknowledge'), post(alert.id, 'acknowledge')]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 422]);
  });

  it('lists with filters on status, severity, kind and device_id, newest first', async () => {
    const t = await seedTenant(api, 'Alerts filters');
    const token = (await login(api, await seedUser(api, t.id, ['auditor']))).access;
    const d = randomUUID();
    const a1 = await raise({ severity: 'critical', kind: 'scanner', deviceId: d }, t.id);
    const a2 = await raise({ severity: 'info', kind: 'fraud.burst' }, t.id);
    const a3 = await raise({ severity: 'critical', kind: 'fraud.burst', status: 'resolved' }, t.id);
    const ids = async (q: string) => {
      const res = await api.request('GET', `/api/v1/alerts?per_page=100&${q}`, { token });
      expect(res.status).toBe(200);
      return res.body.data.map((a: { id: string }) => a.id).sort();
    };
    expect(await ids('')).toEqual([a1.id, a2.id, a3.id].sort());
    expect(await ids('filter[status]=open')).toEqual([a1.id, a2.id].sort());
    expect(await ids('filter[severity]=critical')).toEqual([a1.id, a3.id].sort());
    expect(await ids('filter[kind]=scanner')).toEqual([a1.id]);
    expect(await ids(`filter[device_id]=${d}`)).toEqual([a1.id]);
    expect(await ids('filter[severity]=critical&filter[status]=resolved')).toEqual([a3.id]);
    const bad = await api.request('GET', '/api/v1/alerts?filter[status]=closed&filter[device_id]=x', {
      token,
    });
    expect(bad.status).toBe(422);
    expect(Object.keys(bad.body.errors).sort()).toEqual(['filter.device_id', 'filter.status']);
  });

  it("keeps tenants apart: another tenant's alert is a 404 to read and to act on", async () => {
    const alert = await raise();
    for (const [method, path] of [
      ['GET', `/api/v1/alerts/${alert.id}`],
      ['POST', `/api/v1/alerts/${alert.id}/acknowledge`],
      ['POST', `/api/v1/alerts/${alert.id}/resolve`],
    ])
      expect((await api.request(method, path, { token: adminBToken })).status).toBe(404);
    const list = await api.request('GET', '/api/v1/alerts?per_page=100', { token: adminBToken });
    expect(list.text).not.toContain(alert.id);
    expect((await post('not-a-uuid', 'resolve')).status).toBe(404);
    expect((await post(randomUUID(), 'resolve')).status).toBe(404);
  });

  it('enforces RBAC: auditors read but cannot act; agents cannot read', async () => {
    const alert = await raise();
    expect((await api.request('GET', `/api/v1/alerts/${alert.id}`, { token: auditorToken })).status).toBe(
      200,
    );
    expect((await post(alert.id, 'acknowledge', auditorToken)).status).toBe(403);
    expect((await post(alert.id, 'resolve', auditorToken)).status).toBe(403);
    expect((await api.request('GET', '/api/v1/alerts', { token: agentToken })).status).toBe(403);
    const show = await api.request('GET', `/api/v1/alerts/${alert.id}`, { token: supToken });
    expect(show.body.data.status).toBe('open');
  });
});
