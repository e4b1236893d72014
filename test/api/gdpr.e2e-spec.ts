import { CdrsRepository } from '@pbx/database';
import { randomInt, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { login, seedTenant, seedUser, startApi, TestApi } from './harness';

/** Every row of every table as text: what a database dump would hold. */
async function dump(ds: DataSource): Promise<string> {
  const tables: Array<{ tablename: string }> = await ds.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`);
  const parts: string[] = [];
  for (const { tablename } of tables) {
    const rows: Array<{ row: string }> = await ds.query(`SELECT t::text AS row FROM "${tablename}" t`);
    parts.push(...rows.map((r) => r.row));
  }
  return parts.join('\n');
}

describe('GDPR: export and erasure of a user', () => {
  let api: TestApi;
  let ds: DataSource;
  let tenantId: string;
  let adminToken: string;
  let auditorToken: string;
  let supervisorToken: string;
  const suffix = randomUUID().slice(0, 8);
  const email = `zebulon.${suffix}@example.test`;
  const name = `Zebulon Quixote ${suffix}`;
  const theirNumber = `+4420794${String(randomInt(0, 1e5)).padStart(5, '0')}`;
  const calledNumber = `+3361234${String(randomInt(0, 1e5)).padStart(5, '0')}`;
  const callerNumber = `+1212555${String(randomInt(0, 1e4)).padStart(4, '0')}`;
  let userId: string;
  let deviceId: string;

  const call = (method: string, path: string, token: string, body?: unknown) => api.request(method, path, { token, body });

  beforeAll(async () => {
    api = await startApi();
    ds = api.app.get(DataSource);
    tenantId = (await seedTenant(api, 'GDPR')).id;
    adminToken = (await login(api, await seedUser(api, tenantId, ['tenant_admin']))).access;
    auditorToken = (await login(api, await seedUser(api, tenantId, ['auditor']))).access;
    supervisorToken = (await login(api, await seedUser(api, tenantId, ['supervisor']))).access;

    const created = await call('POST', '/api/v1/users', adminToken, { email, name, roles: ['agent'], password: `pw-${suffix}-long-enough` });
    userId = created.body.data.id;
    await login(api, { email, password: `pw-${suffix}-long-enough` });
    expect((await api.request('POST', '/api/v1/auth/login', { body: { email, password: 'wrong password!' } })).status).toBe(422);
    const ext = await call('POST', '/api/v1/extensions', adminToken, { number: '321', name: `${name}'s line`, user_id: userId });
    expect(ext.status).toBe(201);
    const device = await call('POST', '/api/v1/devices', adminToken, { extension_id: ext.body.data.id, name: `${name} desk` });
    deviceId = device.body.data.id;
    const cdrs = api.app.get(CdrsRepository);
    const base = { tenantId, startedAt: new Date(), disposition: 'answered' as const, sourceIp: '203.0.113.77' };
    await cdrs.insert({ ...base, callId: `out-${suffix}`, direction: 'outbound', deviceId, extensionId: ext.body.data.id, fromNumber: theirNumber, toNumber: calledNumber });
    await cdrs.insert({ ...base, callId: `in-${suffix}`, direction: 'inbound', extensionId: ext.body.data.id, fromNumber: callerNumber, toNumber: theirNumber });
  });
  afterAll(() => api.close());

  it('need permissions of their own', async () => {
    expect((await call('GET', `/api/v1/users/${userId}/export`, auditorToken)).status).toBe(403);
    expect((await call('POST', `/api/v1/users/${userId}/erase`, supervisorToken)).status).toBe(403);
    expect((await call('GET', `/api/v1/users/${randomUUID()}/export`, adminToken)).status).toBe(404);
  });

  it('export everything held about the user as one JSON document, and audit it', async () => {
    const res = await call('GET', `/api/v1/users/${userId}/export`, adminToken);
    expect(res.status).toBe(200);
    const d = res.body.data;
    expect(d.user).toMatchObject({ id: userId, email, name, roles: ['agent'] });
    expect(d.extensions).toEqual([expect.objectContaining({ number: '321', user_id: userId })]);
    expect(d.devices.map((x: { id: string }) => x.id)).toEqual([deviceId]);
    expect(d.cdrs.map((c: { from_number: string; to_number: string }) => [c.from_number, c.to_number]).sort()).toEqual(
      [[callerNumber, theirNumber], [theirNumber, calledNumber]].sort(),
    );
    const actions = d.audit_entries.map((a: { action: string }) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['user.created', 'auth.login']));
    expect(d.cdrs_truncated).toBe(false);
    expect(res.text).not.toMatch(/ha1|password_hash/);
    const logged = await ds.query(`SELECT 1 FROM audit_log WHERE action = 'user.exported' AND target_id = $1`, [userId]);
    expect(logged).toHaveLength(1);
  });

  it('erase the user: personal data gone from the whole database, numbers pseudonymised, the chains still verify', async () => {
    expect(await dump(ds)).toContain(email);
    const res = await call('POST', `/api/v1/users/${userId}/erase`, adminToken);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      user_id: userId,
      devices_deleted: 1,
      extensions_unassigned: 1,
      cdrs_pseudonymised: 2,
      audit_entries_kept: 0,
      sessions_revoked: 1,
    });
    expect(res.body.data.audit_entries_erased).toBeGreaterThanOrEqual(2);

    const everything = await dump(ds);
    for (const personal of [email, name, theirNumber, calledNumber, callerNumber, '203.0.113.77']) {
      expect(everything).not.toContain(personal);
    }
    const pseudonyms: Array<{ from_number: string; to_number: string }> = await ds.query(
      `SELECT from_number, to_number FROM cdrs WHERE tenant_id = $1 ORDER BY call_id`,
      [tenantId],
    );
    expect(pseudonyms.flatMap((p) => [p.from_number, p.to_number])).toEqual(
      Array(4).fill(expect.stringMatching(/^pseudo:[0-9a-f]{16}$/)),
    );
    // The same number, once as caller and once as callee, keeps one pseudonym.
    expect(pseudonyms[0].to_number).toBe(pseudonyms[1].from_number);
    expect(await ds.query(`SELECT name, user_id FROM extensions WHERE tenant_id = $1 AND number = '321'`, [tenantId])).toEqual([
      { name: 'Extension 321', user_id: null },
    ]);

    const verify = await call('GET', '/api/v1/audit-log/verify', adminToken);
    expect(verify.body.data).toMatchObject({ valid: true });
    // Every erased entry is in the tenant's chain, which the verification above walked whole.
    const chains = await ds.query(`SELECT DISTINCT chain FROM audit_log WHERE personal_erased_at IS NOT NULL AND actor_user_id = $1`, [userId]);
    expect(chains).toEqual([{ chain: `tenant:${tenantId}` }]);
    const erasure = await ds.query(`SELECT metadata FROM audit_log WHERE action = 'user.erased' AND result = 'success' AND target_id = $1`, [userId]);
    expect(erasure).toHaveLength(1);

    expect((await api.request('POST', '/api/v1/auth/login', { body: { email, password: `pw-${suffix}-long-enough` } })).status).toBe(422);
    expect((await call('GET', `/api/v1/users/${userId}/export`, adminToken)).status).toBe(404);
  });

  it('detect an edited personal field that was not erased', async () => {
    const [row]: Array<{ id: string }> = await ds.query(
      `SELECT id FROM audit_log WHERE chain = $1 AND actor_email IS NOT NULL AND personal_erased_at IS NULL ORDER BY id DESC LIMIT 1`,
      [`tenant:${tenantId}`],
    );
    await ds.query(`UPDATE audit_log SET ip = '198.51.100.1' WHERE id = $1`, [row.id]);
    const verify = await call('GET', '/api/v1/audit-log/verify', adminToken);
    expect(verify.body.data).toMatchObject({ valid: false, first_broken_id: row.id, reason: 'personal_mismatch' });
  });
});
