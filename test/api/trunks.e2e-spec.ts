import { decrypt, parseInvalidation, parseKeyring, RedisChannels, trunkSecretAad } from '@pbx/common';
import { AuditLogRepository } from '@pbx/database';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { runRewrap } from '../../apps/api/src/cli/rewrap-secrets';
import { login, seedTenant, seedUser, startApi, TestApi } from './harness';

const TRUNK_KEYS = [
  'allow_unanchored_media',
  'auth_username',
  'created_at',
  'has_auth_password',
  'host',
  'id',
  'inbound_cidrs',
  'max_channels',
  'name',
  'port',
  'register',
  'register_expires',
  'status',
  'tenant_id',
  'transport',
  'updated_at',
];

describe('trunks: /api/v1/trunks', () => {
  let api: TestApi;
  let ds: DataSource;
  let tenantA: { id: string };
  let tokenA: string;
  let tokenB: string;
  let auditorToken: string;
  let supervisorToken: string;
  const secret = () => `carrier-${randomBytes(12).toString('base64url')}`;
  const sealed = async (id: string): Promise<{ c: string | null; v: number | null }> =>
    (
      await ds.query(
        'SELECT auth_secret_ciphertext AS c, auth_secret_key_version AS v FROM trunks WHERE id = $1',
        [id],
      )
    )[0];
  const create = (body: Record<string, unknown>, token = tokenA) =>
    api.request('POST', '/api/v1/trunks', {
      token,
      body: { name: `Carrier ${randomBytes(4).toString('hex')}`, host: 'sip.carrier.example', ...body },
    });

  beforeAll(async () => {
    api = await startApi();
    ds = api.app.get(DataSource);
    tenantA = await seedTenant(api, 'Trunks A');
    const tenantB = await seedTenant(api, 'Trunks B');
    tokenA = (await login(api, await seedUser(api, tenantA.id, ['tenant_admin']))).access;
    tokenB = (await login(api, await seedUser(api, tenantB.id, ['tenant_admin']))).access;
    auditorToken = (await login(api, await seedUser(api, tenantA.id, ['auditor']))).access;
    supervisorToken = (await login(api, await seedUser(api, tenantA.id, ['supervisor']))).access;
  });
  afterAll(() => api.close());

  it('stores auth_password only sealed under the newest key, bound to its row, and never returns it', async () => {
    const password = secret();
    const res = await create({
      auth_username: 'acct-1',
      auth_password: password,
      inbound_cidrs: ['192.0.2.10'],
    });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body)).toEqual(['data']);
    expect(Object.keys(res.body.data).sort()).toEqual(TRUNK_KEYS);
    expect(res.body.data).toMatchObject({
      host: 'sip.carrier.example',
      port: 5061,
      transport: 'tls',
      auth_username: 'acct-1',
      has_auth_password: true,
      inbound_cidrs: ['192.0.2.10/32'],
      max_channels: null,
      status: 'active',
    });
    expect(res.text).not.toContain(password);
    const id: string = res.body.data.id;

    const row = await sealed(id);
    expect(row.v).toBe(1);
    expect(row.c).toMatch(/^v1\.[^.]+\.[^.]+\.[^.]+$/);
    expect(row.c).not.toContain(password);
    expect(row.c).not.toContain(Buffer.from(password).toString('base64'));
    const ring = parseKeyring(api.config.SECRETS_KEKS);
    expect(decrypt(row.c as string, ring, trunkSecretAad(tenantA.id, id))).toBe(password);

    // The same blob moved into another trunk's row does not open there.
    const other = await create({ auth_password: secret() });
    expect(() => decrypt(row.c as string, ring, trunkSecretAad(tenantA.id, other.body.data.id))).toThrow();

    const later = [
      await api.request('GET', `/api/v1/trunks/${id}`, { token: tokenA }),
      await api.request('GET', '/api/v1/trunks?per_page=100', { token: tokenA }),
      await api.request('PATCH', `/api/v1/trunks/${id}`, { token: tokenA, body: { max_channels: 30 } }),
      await api.request('PATCH', `/api/v1/trunks/${id}`, { token: tokenA, body: { auth_password: '' } }),
      await api.request('GET', '/api/v1/audit-log?per_page=100', { token: tokenA }),
    ];
    expect(later.map((r) => r.status)).toEqual([200, 200, 200, 422, 200]);
    for (const r of later) {
      expect(r.text).not.toContain(password);
      expect(r.text).not.toContain(row.c);
      expect(r.text).not.toMatch(/auth_secret|ciphertext/);
    }
    const rows = JSON.stringify(await ds.query('SELECT * FROM audit_log WHERE tenant_id = $1', [tenantA.id]));
    expect(rows).not.toContain(password);
    expect(rows).not.toContain(row.c);
  });

  it('replaces or clears the password on update, auditing changed field names only, and publishes an invalidation', async () => {
    const created = await create({ auth_password: secret() });
    const id: string = created.body.data.id;
    const sub = new Redis(api.config.REDIS_URL);
    const kinds: string[] = [];
    sub.on('message', (_c: string, raw: string) => {
      const m = parseInvalidation(raw);
      if (m?.id === id) kinds.push(m.kind);
    });
    await sub.subscribe(RedisChannels.invalidate);
    try {
      const next = secret();
      const res = await api.request('PATCH', `/api/v1/trunks/${id}`, {
        token: tokenA,
        body: { auth_password: next, host: '203.0.113.5', port: 5080 },
      });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ host: '203.0.113.5', port: 5080, has_auth_password: true });
      const row = await sealed(id);
      expect(
        decrypt(row.c as string, parseKeyring(api.config.SECRETS_KEKS), trunkSecretAad(tenantA.id, id)),
      ).toBe(next);
      const deadline = Date.now() + 1000;
      while (!kinds.includes('trunk') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(kinds).toContain('trunk');
    } finally {
      await sub.quit();
    }
    const cleared = await api.request('PUT', `/api/v1/trunks/${id}`, {
      token: tokenA,
      body: { auth_password: null },
    });
    expect(cleared.body.data.has_auth_password).toBe(false);
    expect(await sealed(id)).toEqual({ c: null, v: null });
    const audit = await api.app
      .get(AuditLogRepository)
      .list(tenantA.id, { page: 1, perPage: 10, sort: [], filters: { target_id: id } });
    expect(audit.items.map((a) => [a.action, a.metadata]).reverse()).toEqual([
      ['trunk.created', { name: created.body.data.name, has_auth_password: true }],
      ['trunk.updated', { fields: ['auth_password', 'host', 'port'] }],
      ['trunk.updated', { fields: ['auth_password'] }],
    ]);
  });

  it('validates with Laravel field errors, and refuses a duplicate name in the tenant', async () => {
    const res = await create({
      host: 'bad host!',
      port: 0,
      transport: 'ws',
      inbound_cidrs: ['300.1.1.1/8'],
      max_channels: 0,
      status: 'gone',
      auth_password: 42,
      register: 'yes',
      register_expires: 30,
      allow_unanchored_media: 'sometimes',
    });
    expect(res.status).toBe(422);
    expect(Object.keys(res.body.errors).sort()).toEqual([
      'allow_unanchored_media',
      'auth_password',
      'host',
      'inbound_cidrs',
      'max_channels',
      'port',
      'register',
      'register_expires',
      'status',
      'transport',
    ]);
    expect(res.body.errors.register_expires).toEqual(['The register_expires field must be between 60 and 86400.']);
    // Registering upstream needs an address of record.
    const noAor = await create({ register: true });
    expect(noAor.status).toBe(422);
    expect(noAor.body.errors).toEqual({ register: ['A trunk that registers needs an auth_username (its address of record).'] });
    const registering = await create({ register: true, auth_username: 'acct', register_expires: 300 });
    expect(registering.body.data).toMatchObject({ register: true, register_expires: 300 });
    const cleared = await api.request('PATCH', `/api/v1/trunks/${registering.body.data.id}`, { token: tokenA, body: { auth_username: null } });
    expect(cleared.status).toBe(422);
    expect(Object.keys(cleared.body.errors)).toEqual(['register']);
    expect(res.body.errors.host).toEqual(['The host field must be a hostname or an IP address.']);
    expect(res.body.errors.transport).toEqual(['The selected transport is invalid. Allowed: udp, tcp, tls.']);
    const first = await create({ transport: 'udp', host: '2001:DB8::1' });
    expect(first.body.data).toMatchObject({ port: 5060, transport: 'udp', host: '2001:db8::1', allow_unanchored_media: false });
    const dup = await create({ name: first.body.data.name });
    expect(dup.status).toBe(422);
    expect(dup.body.errors).toEqual({ name: ['The name has already been taken.'] });
    expect((await create({ name: first.body.data.name }, tokenB)).status).toBe(201);
  });

  it("answers another tenant's trunk with 404, and never lists it", async () => {
    const foreign = await create({ auth_password: secret() }, tokenB);
    const id: string = foreign.body.data.id;
    for (const [method, body] of [
      ['GET'],
      ['PATCH', { name: 'x' }],
      ['PUT', { auth_password: 'stolen' }],
      ['DELETE'],
    ] as const) {
      const res = await api.request(method, `/api/v1/trunks/${id}`, { token: tokenA, body });
      expect(res.status).toBe(404);
    }
    expect((await sealed(id)).c).not.toBeNull();
    expect((await api.request('GET', '/api/v1/trunks?per_page=100', { token: tokenA })).text).not.toContain(
      id,
    );
  });

  it('refuses to delete a trunk that routes use, then deletes it', async () => {
    const trunk = await create({});
    const route = await api.request('POST', '/api/v1/outbound-routes', {
      token: tokenA,
      body: { name: `R ${trunk.body.data.id}`, prefix: '+44', trunk_id: trunk.body.data.id },
    });
    expect(route.status).toBe(201);
    const del = await api.request('DELETE', `/api/v1/trunks/${trunk.body.data.id}`, { token: tokenA });
    expect(del.status).toBe(422);
    expect(del.body.errors.id[0]).toMatch(/0 DID\(s\) and 1 outbound route\(s\)/);
    expect(
      (await api.request('DELETE', `/api/v1/outbound-routes/${route.body.data.id}`, { token: tokenA }))
        .status,
    ).toBe(204);
    expect(
      (await api.request('DELETE', `/api/v1/trunks/${trunk.body.data.id}`, { token: tokenA })).status,
    ).toBe(204);
  });

  it('guards with trunks.view / trunks.manage', async () => {
    expect((await api.request('GET', '/api/v1/trunks', { token: auditorToken })).status).toBe(200);
    expect((await create({}, auditorToken)).status).toBe(403);
    expect((await api.request('GET', '/api/v1/trunks', { token: supervisorToken })).status).toBe(403);
  });

  it('secrets:rewrap moves every secret to the newest key, idempotently, and the API then seals with it', async () => {
    const password = secret();
    const trunk = await create({ auth_password: password });
    const id: string = trunk.body.data.id;
    const aad = trunkSecretAad(tenantA.id, id);
    const v1Only = api.config.SECRETS_KEKS;
    const both = `${v1Only},2:${randomBytes(32).toString('base64')}`;
    const before = await sealed(id);
    expect(before.v).toBe(1);

    const first = await runRewrap({ DATABASE_URL: api.config.DATABASE_URL, SECRETS_KEKS: both });
    expect(first.currentVersion).toBe(2);
    expect(first.failed).not.toContain(id);
    expect(first.rewrapped).toBeGreaterThanOrEqual(1);
    const after = await sealed(id);
    expect(after.v).toBe(2);
    expect(after.c).toMatch(/^v2\./);
    expect(decrypt(after.c as string, parseKeyring(both), aad)).toBe(password);
    expect(() => decrypt(after.c as string, parseKeyring(v1Only), aad)).toThrow(/no key of version 2/);

    const again = await runRewrap({ DATABASE_URL: api.config.DATABASE_URL, SECRETS_KEKS: both });
    expect(again.failed).not.toContain(id);
    expect(await sealed(id)).toEqual(after);

    const api2 = await startApi({ SECRETS_KEKS: both });
    try {
      const t2 = await seedTenant(api2, 'Trunks rewrap');
      const token = (await login(api2, await seedUser(api2, t2.id, ['tenant_admin']))).access;
      const res = await api2.request('POST', '/api/v1/trunks', {
        token,
        body: { name: 'New', host: 'h.example', auth_password: password },
      });
      expect(res.status).toBe(201);
      expect((await sealed(res.body.data.id)).v).toBe(2);
    } finally {
      await api2.close();
    }
  });
});
