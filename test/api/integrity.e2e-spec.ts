import { ExtensionEntity, ExtensionsRepository, TrunkEntity, TrunksRepository, UserEntity, UsersRepository } from '@pbx/database';
import { DataSource } from 'typeorm';
import { login, seedTenant, seedUser, startApi, TestApi } from './harness';

/** The tenant's rows of a table, and its audit entries with the action. */
async function leftovers(ds: DataSource, table: string, tenantId: string, action: string) {
  const rows: Array<{ n: number }> = await ds.query(`SELECT count(*)::int AS n FROM ${table} WHERE tenant_id = $1`, [tenantId]);
  const audit: Array<{ n: number }> = await ds.query(
    `SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1 AND action = $2`,
    [tenantId, action],
  );
  return { rows: rows[0].n, audit: audit[0].n };
}

describe('data integrity: isolation held by the schema, audit committed with its change', () => {
  let api: TestApi;
  let ds: DataSource;
  let tenantA: { id: string };
  let tokenA: string;
  let extB: string;
  let trunkB: string;
  let userB: string;

  beforeAll(async () => {
    api = await startApi();
    ds = api.app.get(DataSource);
    tenantA = await seedTenant(api, 'Integrity A');
    const tenantB = await seedTenant(api, 'Integrity B');
    tokenA = (await login(api, await seedUser(api, tenantA.id, ['tenant_admin']))).access;
    const tokenB = (await login(api, await seedUser(api, tenantB.id, ['tenant_admin']))).access;
    userB = (await seedUser(api, tenantB.id, ['agent'])).id;
    extB = (await api.request('POST', '/api/v1/extensions', { token: tokenB, body: { number: '100', name: 'B' } })).body.data.id;
    trunkB = (await api.request('POST', '/api/v1/trunks', { token: tokenB, body: { name: 'B', host: 'b.example' } })).body.data.id;
  });
  afterAll(() => api.close());
  afterEach(() => jest.restoreAllMocks());

  // A forgotten service check is simulated by making it pass: only the composite keys remain.
  it("refuse a device on another tenant's extension, with the check forgotten, and leave nothing behind", async () => {
    jest
      .spyOn(ExtensionsRepository.prototype, 'findInTenant')
      .mockImplementation(async (tenantId, id) => ({ id, tenantId }) as ExtensionEntity);
    const res = await api.request('POST', '/api/v1/devices', {
      token: tokenA,
      body: { extension_id: extB, name: 'Cross-tenant' },
    });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual({ extension_id: ['The selected extension_id is invalid.'] });
    expect(await leftovers(ds, 'devices', tenantA.id, 'device.created')).toEqual({ rows: 0, audit: 0 });
  });

  it("refuse a route on another tenant's trunk, with the check forgotten, and leave nothing behind", async () => {
    jest
      .spyOn(TrunksRepository.prototype, 'findInTenant')
      .mockImplementation(async (tenantId, id) => ({ id, tenantId }) as TrunkEntity);
    const res = await api.request('POST', '/api/v1/outbound-routes', {
      token: tokenA,
      body: { name: 'Cross-tenant', prefix: '+44', trunk_id: trunkB },
    });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual({ trunk_id: ['The selected trunk_id is invalid.'] });
    expect(await leftovers(ds, 'outbound_routes', tenantA.id, 'outbound_route.created')).toEqual({ rows: 0, audit: 0 });
  });

  it("refuse an extension assigned to another tenant's user, with the check forgotten", async () => {
    jest
      .spyOn(UsersRepository.prototype, 'findInTenant')
      .mockImplementation(async (tenantId, id) => ({ id, tenantId }) as UserEntity);
    const res = await api.request('POST', '/api/v1/extensions', { token: tokenA, body: { number: '777', name: 'Cross', user_id: userB } });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual({ user_id: ['The selected user_id is invalid.'] });
    expect(await ds.query(`SELECT id FROM extensions WHERE tenant_id = $1 AND number = '777'`, [tenantA.id])).toEqual([]);
  });

  it('leave neither the change nor its audit entry when the audit write crashes', async () => {
    // The change is already written in the transaction when its audit row is refused.
    await ds.query(`CREATE OR REPLACE FUNCTION pbx_test_crash() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected crash'; END $$ LANGUAGE plpgsql`);
    await ds.query(
      `CREATE TRIGGER pbx_test_crash BEFORE INSERT ON audit_log FOR EACH ROW
         WHEN (NEW.action = 'extension.created' AND NEW.metadata->>'number' = '4242') EXECUTE FUNCTION pbx_test_crash()`,
    );
    try {
      const res = await api.request('POST', '/api/v1/extensions', { token: tokenA, body: { number: '4242', name: 'Crash' } });
      expect(res.status).toBe(500);
    } finally {
      await ds.query(`DROP TRIGGER pbx_test_crash ON audit_log`);
      await ds.query(`DROP FUNCTION pbx_test_crash()`);
    }
    expect(await ds.query(`SELECT id FROM extensions WHERE tenant_id = $1 AND number = '4242'`, [tenantA.id])).toEqual([]);
    expect(await leftovers(ds, 'extensions', tenantA.id, 'extension.created')).toMatchObject({ audit: 0 });
    const again = await api.request('POST', '/api/v1/extensions', { token: tokenA, body: { number: '4242', name: 'Crash' } });
    expect(again.status).toBe(201);
  });

  it('keep the hash chain valid under 50 concurrent audited changes', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        api.request('POST', '/api/v1/extensions', { token: tokenA, body: { number: String(5000 + i), name: `Parallel ${i}` } }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(201));
    const entries: Array<{ prev_hash: string }> = await ds.query(
      `SELECT prev_hash FROM audit_log WHERE chain = $1`,
      [`tenant:${tenantA.id}`],
    );
    // No fork: every entry has a predecessor of its own.
    expect(new Set(entries.map((e) => e.prev_hash)).size).toBe(entries.length);
    const created: Array<{ n: number }> = await ds.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1 AND action = 'extension.created' AND (metadata->>'number')::int BETWEEN 5000 AND 5049`,
      [tenantA.id],
    );
    expect(created[0].n).toBe(50);
    const verify = await api.request('GET', '/api/v1/audit-log/verify', { token: tokenA });
    expect(verify.status).toBe(200);
    expect(verify.body.data).toMatchObject({ valid: true, first_broken_id: null });
    expect(verify.body.data.checked).toBe(entries.length);
  });
});
