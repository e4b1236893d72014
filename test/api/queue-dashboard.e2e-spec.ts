import type { DataSource } from 'typeorm';
import { openDb } from '../sip/helpers/pbx-harness';
import { login, seedTenant, seedUser, startApi, type TestApi } from './harness';

describe('queue dashboard (Bull Board) at /api/admin/queues', () => {
  let api: TestApi;
  let db: DataSource;
  let root: string;
  let tenantAdmin: string;
  let tenantId: string;

  beforeAll(async () => {
    api = await startApi();
    db = await openDb();
    const platform = await seedTenant(api, 'Platform');
    root = (await login(api, await seedUser(api, platform.id, ['platform_admin']))).access;
    tenantId = (await seedTenant(api, 'Customer')).id;
    tenantAdmin = (await login(api, await seedUser(api, tenantId, ['tenant_admin']))).access;
  });

  afterAll(async () => {
    await api.close();
    await db.destroy();
  });

  it('shows the board and every queue to a platform admin', async () => {
    const page = await api.request('GET', '/api/admin/queues', { token: root, headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<html/i);
    const queues = await api.request('GET', '/api/admin/queues/api/queues', { token: root });
    expect(queues.status).toBe(200);
    expect((queues.body.queues as Array<{ name: string }>).map((q) => q.name).sort()).toEqual(['call-events', 'fraud-actions', 'maintenance']);
  });

  it('refuses anyone else: 401 without a token, 403 (audited) for a tenant admin, on pages, assets and API alike', async () => {
    for (const path of ['/api/admin/queues', '/api/admin/queues/api/queues', '/api/admin/queues/static/favicon-32x32.png']) {
      expect((await api.request('GET', path)).status).toBe(401);
      expect((await api.request('GET', path, { token: tenantAdmin })).status).toBe(403);
    }
    expect((await api.request('PUT', '/api/admin/queues/api/queues/fraud-actions/pause', { token: tenantAdmin })).status).toBe(403);
    const denied = (await db.query(`SELECT action, result FROM audit_log WHERE chain = $1 AND action = 'queues.dashboard.access'`, [`tenant:${tenantId}`])) as unknown[];
    expect(denied).toHaveLength(4);
    expect(denied[0]).toEqual({ action: 'queues.dashboard.access', result: 'denied' });
  });
});
