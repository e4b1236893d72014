import { DataSource } from 'typeorm';
import { randomUUID } from 'node:crypto';
import { login, seedTenant, seedUser, SeededUser, startApi, TestApi } from './harness';

const ENTRY_KEYS = [
  'action',
  'actor_email',
  'actor_user_id',
  'chain',
  'created_at',
  'hash',
  'id',
  'ip',
  'metadata',
  'prev_hash',
  'result',
  'target_id',
  'target_type',
  'tenant_id',
  'user_agent',
];

describe('audit log: /api/v1/audit-log', () => {
  let api: TestApi;
  let tenant: { id: string };
  let admin: SeededUser;
  let adminToken: string;
  let auditorToken: string;
  let foreignUserId: string;

  const createUser = async (token: string, roles = ['agent']) => {
    const res = await api.request('POST', '/api/v1/users', {
      token,
      body: { email: `a-${randomUUID().slice(0, 10)}@example.test`, name: 'Audited', roles },
    });
    expect(res.status).toBe(201);
    return res.body.data.id as string;
  };
  const verify = async (token: string) => {
    const res = await api.request('GET', '/api/v1/audit-log/verify', { token });
    expect(res.status).toBe(200);
    return res.body;
  };

  beforeAll(async () => {
    api = await startApi();
    tenant = await seedTenant(api, 'Audit');
    admin = await seedUser(api, tenant.id, ['tenant_admin']);
    adminToken = (await login(api, admin)).access;
    auditorToken = (await login(api, await seedUser(api, tenant.id, ['auditor']))).access;
    const other = await seedTenant(api, 'Audit other');
    const otherAdmin = await login(api, await seedUser(api, other.id, ['tenant_admin']));
    foreignUserId = await createUser(otherAdmin.access);
    const id = await createUser(adminToken);
    expect(
      (await api.request('PATCH', `/api/v1/users/${id}`, { token: adminToken, body: { name: 'Renamed' } }))
        .status,
    ).toBe(200);
  });
  afterAll(() => api.close());

  it('lists your tenant chain newest first, with snake_case entries including the hash link', async () => {
    const res = await api.request('GET', '/api/v1/audit-log?per_page=100', { token: auditorToken });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['data', 'links', 'meta']);
    const entries = res.body.data as Array<Record<string, string>>;
    expect(entries.map((e) => e.action)).toEqual([
      'user.updated',
      'user.created',
      'auth.login',
      'auth.login',
    ]);
    for (const e of entries) {
      expect(Object.keys(e).sort()).toEqual(ENTRY_KEYS);
      expect(e).toMatchObject({ tenant_id: tenant.id, chain: `tenant:${tenant.id}` });
      expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
    }
    const ids = entries.map((e) => BigInt(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => (a > b ? -1 : 1)));
    // Each entry links to the one before it in the chain.
    for (let i = 0; i < entries.length - 1; i++) expect(entries[i].prev_hash).toBe(entries[i + 1].hash);
    expect(entries[entries.length - 1].prev_hash).toBe('0'.repeat(64));
    expect(res.text).not.toContain(foreignUserId);
    const asc = await api.request('GET', '/api/v1/audit-log?sort=id&per_page=1', { token: auditorToken });
    expect(asc.body.data[0].id).toBe(entries[entries.length - 1].id);
    expect(asc.body.meta).toMatchObject({
      total: entries.length,
      last_page: entries.length,
      per_page: 1,
      from: 1,
      to: 1,
    });
  });

  it('filters by action, result, actor, target and date range', async () => {
    const q = (s: string) => api.request('GET', `/api/v1/audit-log?${s}`, { token: auditorToken });
    const updated = await q('filter[action]=user.updated');
    expect(updated.body.data).toHaveLength(1);
    expect(updated.body.data[0]).toMatchObject({
      actor_user_id: admin.id,
      target_type: 'user',
      result: 'success',
      metadata: { fields: ['name'] },
    });
    const target = updated.body.data[0].target_id;
    const byTarget = await q(`filter[target_id]=${target}&filter[target_type]=user&sort=id`);
    expect(byTarget.body.data.map((e: { action: string }) => e.action)).toEqual([
      'user.created',
      'user.updated',
    ]);
    const byActor = await q(`filter[actor_user_id]=${admin.id}&filter[result]=success&per_page=100`);
    expect(byActor.body.data.every((e: { actor_user_id: string }) => e.actor_user_id === admin.id)).toBe(
      true,
    );
    const future = await q('filter[from]=2999-01-01');
    expect(future.body.meta.total).toBe(0);
    const today = new Date().toISOString().slice(0, 10);
    const window = await q(`filter[from]=${today}&filter[to]=${today}&filter[action]=user.updated`);
    expect(window.body.meta.total).toBe(1);
    const offset = await q(
      `filter[from]=${today}T00:00:00+14:00&filter[to]=2999-01-01T00:00:00.000-01:00&filter[action]=user.updated`,
    );
    expect(offset.body.meta.total).toBe(1);
    const past = await q('filter[to]=2000-01-01T00:00:00Z');
    expect(past.body.meta.total).toBe(0);
  });

  it('answers 422 for bad filters', async () => {
    const res = await api.request(
      'GET',
      '/api/v1/audit-log?filter[from]=yesterday&filter[actor_user_id]=1&filter[result]=ok',
      { token: auditorToken },
    );
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual({
      'filter.from': ['The filter.from field must be a valid ISO 8601 date.'],
      'filter.actor_user_id': ['The filter.actor_user_id field must be a valid UUID.'],
      'filter.result': ['The selected filter.result is invalid. Allowed: success, failure, denied.'],
    });
    const unknown = await api.request('GET', '/api/v1/audit-log?filter[metadata]=x&sort=action', {
      token: auditorToken,
    });
    expect(Object.keys(unknown.body.errors).sort()).toEqual(['filter.metadata', 'sort']);
  });

  it('is refused to roles without audit.view / audit.verify', async () => {
    for (const role of ['agent', 'supervisor']) {
      const token = (await login(api, await seedUser(api, tenant.id, [role]))).access;
      expect((await api.request('GET', '/api/v1/audit-log', { token })).status).toBe(403);
      expect((await api.request('GET', '/api/v1/audit-log/verify', { token })).status).toBe(403);
    }
  });

  describe('verify', () => {
    let t: { id: string };
    let token: string;
    let ids: string[];
    const chainIds = async (): Promise<string[]> =>
      (await api.request('GET', '/api/v1/audit-log?sort=id&per_page=100', { token })).body.data.map(
        (e: { id: string }) => e.id,
      );

    beforeAll(async () => {
      t = await seedTenant(api, 'Tamper');
      token = (await login(api, await seedUser(api, t.id, ['tenant_admin']))).access;
      for (let i = 0; i < 4; i++) await createUser(token);
      ids = await chainIds();
    });

    it('reports an intact chain as valid, with every entry checked', async () => {
      expect(ids).toHaveLength(5);
      expect(await verify(token)).toEqual({
        data: { valid: true, checked: 5, first_broken_id: null, reason: null },
      });
      expect((await verify(auditorToken)).data.valid).toBe(true);
    });

    it('finds an entry edited in the database', async () => {
      const ds = api.app.get(DataSource);
      const [{ action }] = await ds.query('SELECT action FROM audit_log WHERE id = $1', [ids[2]]);
      await ds.query(`UPDATE audit_log SET action = 'x' WHERE id = $1`, [ids[2]]);
      expect(await verify(token)).toEqual({
        data: { valid: false, checked: 2, first_broken_id: ids[2], reason: 'hash_mismatch' },
      });
      expect((await verify(auditorToken)).data.valid).toBe(true); // another tenant's chain is unaffected
      await ds.query('UPDATE audit_log SET action = $2 WHERE id = $1', [ids[2], action]);
      expect((await verify(token)).data).toMatchObject({ valid: true, checked: 5 });
    });

    it('finds an entry deleted from the middle of the chain', async () => {
      await api.app.get(DataSource).query('DELETE FROM audit_log WHERE id = $1', [ids[1]]);
      expect(await verify(token)).toEqual({
        data: { valid: false, checked: 1, first_broken_id: ids[2], reason: 'prev_hash_mismatch' },
      });
    });

    it('does not verify under another HMAC key', async () => {
      const other = await startApi();
      try {
        const res = await other.request('GET', '/api/v1/audit-log/verify', {
          token: (await login(other, admin)).access,
        });
        expect(res.body.data).toMatchObject({ valid: false, checked: 0, reason: 'hash_mismatch' });
      } finally {
        await other.close();
      }
    });
  });
});
