import { InvalidationMessage, parseInvalidation, RedisChannels } from '@pbx/common';
import { AuditLogRepository } from '@pbx/database';
import Redis from 'ioredis';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { login, seedTenant, seedUser, startApi, TestApi } from './harness';

const DEVICE_KEYS = [
  'allowed_cidrs',
  'created_at',
  'credentials_rotated_at',
  'digest_algorithms',
  'extension_id',
  'id',
  'lock_level',
  'lock_reason',
  'max_registrations',
  'name',
  'sip_username',
  'status',
  'tenant_id',
  'transports',
  'updated_at',
];

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Collects invalidation messages; `next` resolves with the first matching one or rejects after the deadline. */
async function subscribeInvalidations(url: string) {
  const sub = new Redis(url);
  const seen: InvalidationMessage[] = [];
  sub.on('message', (_channel: string, raw: string) => {
    const m = parseInvalidation(raw);
    if (m) seen.push(m);
  });
  await sub.subscribe(RedisChannels.invalidate);
  return {
    seen,
    async next(match: (m: InvalidationMessage) => boolean, since: number, deadlineMs = 1000): Promise<InvalidationMessage> {
      const end = Date.now() + deadlineMs;
      for (;;) {
        const hit = seen.find((m) => m.at >= since && match(m));
        if (hit) return hit;
        if (Date.now() > end) throw new Error('no matching invalidation within the deadline');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => sub.quit(),
  };
}

describe('devices: /api/v1/devices', () => {
  let api: TestApi;
  let ds: DataSource;
  let tenantA: { id: string; slug: string };
  let tenantB: { id: string };
  let tokenA: string;
  let tokenB: string;
  let supervisorToken: string;
  let extA: string;
  let extA2: string;
  let extB: string;
  let inv: Awaited<ReturnType<typeof subscribeInvalidations>>;
  const secrets: string[] = [];

  const ha1s = async (id: string): Promise<{ ha1_md5: string; ha1_sha256: string }> =>
    (await ds.query('SELECT ha1_md5, ha1_sha256 FROM devices WHERE id = $1', [id]))[0];
  const createExt = async (token: string, number: string) =>
    (await api.request('POST', '/api/v1/extensions', { token, body: { number, name: `Ext ${number}` } })).body.data.id as string;
  const createDevice = (body: Record<string, unknown>, token = tokenA) =>
    api.request('POST', '/api/v1/devices', { token, body: { extension_id: extA, name: 'Desk phone', ...body } });

  beforeAll(async () => {
    api = await startApi();
    ds = api.app.get(DataSource);
    inv = await subscribeInvalidations(api.config.REDIS_URL);
    tenantA = await seedTenant(api, 'Dev A');
    tenantB = await seedTenant(api, 'Dev B');
    tokenA = (await login(api, await seedUser(api, tenantA.id, ['tenant_admin']))).access;
    tokenB = (await login(api, await seedUser(api, tenantB.id, ['tenant_admin']))).access;
    supervisorToken = (await login(api, await seedUser(api, tenantA.id, ['supervisor']))).access;
    extA = await createExt(tokenA, '100');
    extA2 = await createExt(tokenA, '200');
    extB = await createExt(tokenB, '100');
  });
  afterAll(async () => {
    // Whatever a test revealed must appear in no response body after its reveal and in no audit row.
    const rows = JSON.stringify(await ds.query('SELECT * FROM audit_log WHERE tenant_id = ANY($1)', [[tenantA.id, tenantB.id]]));
    for (const s of secrets) expect(rows).not.toContain(s);
    await inv.close();
    await api.close();
  });

  it('creates a device, reveals its password once, and stores only correct HA1s over the tenant realm', async () => {
    const since = Date.now();
    const res = await createDevice({});
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(['data', 'meta']);
    expect(Object.keys(res.body.data).sort()).toEqual(DEVICE_KEYS);
    expect(res.body.data).toMatchObject({
      tenant_id: tenantA.id,
      extension_id: extA,
      name: 'Desk phone',
      digest_algorithms: ['SHA-256', 'MD5'],
      transports: ['tls', 'wss'],
      allowed_cidrs: [],
      max_registrations: 3,
      status: 'active',
      lock_level: 0,
      lock_reason: null,
    });
    const { id, sip_username: username } = res.body.data;
    expect(username).toMatch(/^d[a-z2-7]{10}$/);
    const { sip_password: password, realm, warning } = res.body.meta;
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(realm).toBe(tenantA.slug);
    expect(warning).toMatch(/shown once/);

    const stored = await ha1s(id);
    expect(stored.ha1_md5).toBe(md5(`${username}:${realm}:${password}`));
    expect(stored.ha1_sha256).toBe(sha256(`${username}:${realm}:${password}`));
    secrets.push(password, stored.ha1_md5, stored.ha1_sha256);

    await inv.next((m) => m.kind === 'device' && m.id === id && m.tenantId === tenantA.id, since);
    await inv.next((m) => m.kind === 'credentials' && m.id === id, since);

    const later = [
      await api.request('GET', `/api/v1/devices/${id}`, { token: tokenA }),
      await api.request('GET', '/api/v1/devices?per_page=100', { token: tokenA }),
      await api.request('PATCH', `/api/v1/devices/${id}`, { token: tokenA, body: { name: 'Renamed' } }),
      await api.request('PATCH', `/api/v1/devices/${id}`, { token: tokenA, body: { max_registrations: 0 } }),
      await api.request('GET', '/api/v1/audit-log?per_page=100', { token: tokenA }),
    ];
    expect(later.map((r) => r.status)).toEqual([200, 200, 200, 422, 200]);
    expect(later[0].body.meta).toBeUndefined();
    for (const r of later) for (const s of [password, stored.ha1_md5, stored.ha1_sha256]) expect(r.text).not.toContain(s);
    const audit = await api.app.get(AuditLogRepository).list(tenantA.id, { page: 1, perPage: 10, sort: [], filters: { target_id: id } });
    expect(audit.items.map((a) => [a.action, a.metadata]).reverse()).toEqual([
      ['device.created', { extension_id: extA, sip_username: username, username_generated: true }],
      ['device.updated', { fields: ['name'] }],
    ]);
  });

  it('rotates credentials: new password once, both old HA1s replaced at once, invalidation within 1 s', async () => {
    const created = await createDevice({ digest_algorithms: ['SHA-256'] });
    const { id, sip_username: username } = created.body.data;
    const oldPassword: string = created.body.meta.sip_password;
    const realm: string = created.body.meta.realm;
    const before = await ha1s(id);

    const since = Date.now();
    const res = await api.request('POST', `/api/v1/devices/${id}/credentials/rotate`, { token: tokenA });
    expect(res.status).toBe(200);
    await inv.next((m) => m.kind === 'credentials' && m.id === id && m.tenantId === tenantA.id, since, 1000);
    const newPassword: string = res.body.meta.sip_password;
    expect(newPassword).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(newPassword).not.toBe(oldPassword);
    expect(res.body.meta.realm).toBe(realm);
    expect(res.body.data).toMatchObject({ id, sip_username: username, digest_algorithms: ['SHA-256'] });
    expect(Date.parse(res.body.data.credentials_rotated_at)).toBeGreaterThan(Date.parse(created.body.data.credentials_rotated_at));

    const after = await ha1s(id);
    expect(after.ha1_md5).toBe(md5(`${username}:${realm}:${newPassword}`));
    expect(after.ha1_sha256).toBe(sha256(`${username}:${realm}:${newPassword}`));
    expect(after.ha1_md5).not.toBe(md5(`${username}:${realm}:${oldPassword}`));
    expect(after.ha1_sha256).not.toBe(sha256(`${username}:${realm}:${oldPassword}`));
    expect(after.ha1_md5).not.toBe(before.ha1_md5);
    secrets.push(oldPassword, newPassword, before.ha1_md5, before.ha1_sha256, after.ha1_md5, after.ha1_sha256);

    const show = await api.request('GET', `/api/v1/devices/${id}`, { token: tokenA });
    for (const s of [oldPassword, newPassword, after.ha1_md5, after.ha1_sha256]) expect(show.text).not.toContain(s);
    const audit = await api.app
      .get(AuditLogRepository)
      .list(tenantA.id, { page: 1, perPage: 10, sort: [], filters: { target_id: id, action: 'device.credentials_rotated' } });
    expect(audit.items.map((a) => a.metadata)).toEqual([{ sip_username: username }]);
  });

  it('accepts a client-chosen SIP username (lower-cased), unique per tenant', async () => {
    const name = `Desk.${Date.now().toString(36)}`;
    const res = await createDevice({ sip_username: name });
    expect(res.status).toBe(201);
    expect(res.body.data.sip_username).toBe(name.toLowerCase());
    secrets.push(res.body.meta.sip_password);
    const dup = await createDevice({ sip_username: name.toLowerCase() });
    expect(dup.status).toBe(422);
    expect(dup.body).toEqual({
      message: 'The sip_username has already been taken.',
      errors: { sip_username: ['The sip_username has already been taken.'] },
    });
    const elsewhere = await createDevice({ extension_id: extB, sip_username: name }, tokenB);
    expect(elsewhere.status).toBe(201);
    secrets.push(elsewhere.body.meta.sip_password);
    for (const bad of ['ab', 'a'.repeat(33), 'has space', 'ümlaut', 'a:b@c']) {
      const r = await createDevice({ sip_username: bad });
      expect(r.status).toBe(422);
      expect(Object.keys(r.body.errors)).toEqual(['sip_username']);
    }
  });

  it('validates every field with Laravel field errors', async () => {
    const res = await createDevice({
      extension_id: 'nope',
      name: '',
      digest_algorithms: ['SHA-1'],
      transports: [],
      allowed_cidrs: ['10.0.0.0/33', 'not-an-ip', '::1/129', '010.0.0.1/8'],
      max_registrations: 101,
      status: 'locked',
      lock_level: 3,
    });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual({
      extension_id: ['The selected extension_id is invalid.'],
      name: ['The name field is required.'],
      digest_algorithms: ['The selected digest_algorithms are invalid. Allowed: SHA-256, MD5.'],
      transports: ['The transports field must have at least 1 item.'],
      allowed_cidrs: ['Each allowed_cidrs item must be an IPv4 or IPv6 CIDR, e.g. 203.0.113.0/24 or 2001:db8::/32.'],
      max_registrations: ['The max_registrations field must be between 1 and 100.'],
      status: ['The selected status is invalid. Allowed: active, suspended.'],
      lock_level: ['The lock_level field is not allowed.'],
    });
    expect(res.text).not.toMatch(/sip_password/);
  });

  it('normalises CIDRs (bare addresses become host routes) and stores the chosen settings', async () => {
    const res = await createDevice({
      allowed_cidrs: ['203.0.113.0/24', '2001:DB8::/32', '198.51.100.7', '::1'],
      transports: ['udp', 'wss'],
      digest_algorithms: ['MD5'],
      max_registrations: 100,
      status: 'suspended',
    });
    expect(res.status).toBe(201);
    secrets.push(res.body.meta.sip_password);
    expect(res.body.data).toMatchObject({
      allowed_cidrs: ['203.0.113.0/24', '2001:db8::/32', '198.51.100.7/32', '::1/128'],
      transports: ['udp', 'wss'],
      digest_algorithms: ['MD5'],
      max_registrations: 100,
      status: 'suspended',
    });
  });

  it('updates settings, audits the changed field names only, and publishes an invalidation', async () => {
    const created = await createDevice({});
    secrets.push(created.body.meta.sip_password);
    const id = created.body.data.id;
    const since = Date.now();
    const res = await api.request('PUT', `/api/v1/devices/${id}`, {
      token: tokenA,
      body: { extension_id: extA2, status: 'suspended', transports: ['wss', 'tls'], allowed_cidrs: ['192.0.2.0/24'] },
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ extension_id: extA2, status: 'suspended', allowed_cidrs: ['192.0.2.0/24'] });
    await inv.next((m) => m.kind === 'device' && m.id === id, since);
    const audit = await api.app
      .get(AuditLogRepository)
      .list(tenantA.id, { page: 1, perPage: 10, sort: [], filters: { target_id: id, action: 'device.updated' } });
    expect(audit.items.map((a) => a.metadata)).toEqual([{ fields: ['allowed_cidrs', 'extension_id', 'status'] }]);

    for (const body of [{ sip_username: 'newname' }, { lock_level: 0 }, { lock_reason: 'x' }, { realm: 'x' }]) {
      const r = await api.request('PATCH', `/api/v1/devices/${id}`, { token: tokenA, body });
      expect(r.status).toBe(422);
      expect(r.body.errors).toEqual({ [Object.keys(body)[0]]: [`The ${Object.keys(body)[0]} field is not allowed.`] });
    }
    const foreign = await api.request('PATCH', `/api/v1/devices/${id}`, { token: tokenA, body: { extension_id: extB } });
    expect(foreign.status).toBe(422);
    expect(foreign.body.errors).toEqual({ extension_id: ['The selected extension_id is invalid.'] });
  });

  it('keeps a locked device locked: its status cannot be edited', async () => {
    const created = await createDevice({});
    secrets.push(created.body.meta.sip_password);
    const id = created.body.data.id;
    await ds.query(`UPDATE devices SET status = 'locked', lock_level = 3, lock_reason = 'fraud' WHERE id = $1`, [id]);
    const res = await api.request('PATCH', `/api/v1/devices/${id}`, { token: tokenA, body: { status: 'active' } });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual({ status: ['The device is locked; lift the lock to change its status.'] });
    const show = await api.request('GET', `/api/v1/devices/${id}`, { token: tokenA });
    expect(show.body.data).toMatchObject({ status: 'locked', lock_level: 3, lock_reason: 'fraud' });
    expect((await api.request('PATCH', `/api/v1/devices/${id}`, { token: tokenA, body: { name: 'Still locked' } })).status).toBe(200);
  });

  it('filters by extension_id and status, and rejects bad filter values', async () => {
    const t = await seedTenant(api, 'Dev list');
    const token = (await login(api, await seedUser(api, t.id, ['tenant_admin']))).access;
    const e1 = await createExt(token, '10');
    const e2 = await createExt(token, '20');
    for (const [ext, name, status] of [[e1, 'a', 'active'], [e1, 'b', 'suspended'], [e2, 'c', 'active']]) {
      const r = await createDevice({ extension_id: ext, name, status }, token);
      expect(r.status).toBe(201);
      secrets.push(r.body.meta.sip_password);
    }
    const names = async (q: string) => {
      const res = await api.request('GET', `/api/v1/devices?${q}`, { token });
      expect(res.text).toMatch(/^\{"data"/);
      return res.body.data.map((d: { name: string }) => d.name);
    };
    expect(await names(`filter[extension_id]=${e1}`)).toEqual(['a', 'b']);
    expect(await names('filter[status]=active&sort=-name')).toEqual(['c', 'a']);
    expect(await names(`filter[extension_id]=${e1}&filter[status]=suspended`)).toEqual(['b']);
    const bad = await api.request('GET', '/api/v1/devices?filter[status]=gone&filter[extension_id]=x', { token });
    expect(bad.status).toBe(422);
    expect(Object.keys(bad.body.errors).sort()).toEqual(['filter.extension_id', 'filter.status']);
  });

  it("answers another tenant's device with 404 on every route, and never lists it", async () => {
    const foreign = await createDevice({ extension_id: extB }, tokenB);
    secrets.push(foreign.body.meta.sip_password);
    const id = foreign.body.data.id;
    const before = await ha1s(id);
    for (const [method, path, body] of [
      ['GET', `/api/v1/devices/${id}`],
      ['PATCH', `/api/v1/devices/${id}`, { name: 'x' }],
      ['PUT', `/api/v1/devices/${id}`, { name: 'x' }],
      ['DELETE', `/api/v1/devices/${id}`],
      ['POST', `/api/v1/devices/${id}/credentials/rotate`],
    ] as const) {
      const res = await api.request(method, path, { token: tokenA, body });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ message: 'Not Found.' });
    }
    expect(await ha1s(id)).toEqual(before);
    expect((await api.request('GET', '/api/v1/devices?per_page=100', { token: tokenA })).text).not.toContain(id);
    expect((await api.request('POST', '/api/v1/devices/nope/credentials/rotate', { token: tokenA })).status).toBe(404);
  });

  it('needs devices.credentials to create or rotate: a supervisor may only look', async () => {
    const created = await createDevice({});
    secrets.push(created.body.meta.sip_password);
    const id = created.body.data.id;
    expect((await api.request('GET', `/api/v1/devices/${id}`, { token: supervisorToken })).status).toBe(200);
    const rotate = await api.request('POST', `/api/v1/devices/${id}/credentials/rotate`, { token: supervisorToken });
    expect(rotate.status).toBe(403);
    expect(rotate.body).toEqual({ message: 'This action is unauthorized.' });
    expect((await createDevice({}, supervisorToken)).status).toBe(403);
    expect((await api.request('DELETE', `/api/v1/devices/${id}`, { token: supervisorToken })).status).toBe(403);
  });

  it('deletes a device and publishes the invalidation', async () => {
    const created = await createDevice({});
    secrets.push(created.body.meta.sip_password);
    const id = created.body.data.id;
    const since = Date.now();
    expect((await api.request('DELETE', `/api/v1/devices/${id}`, { token: tokenA })).status).toBe(204);
    await inv.next((m) => m.kind === 'credentials' && m.id === id, since);
    expect((await api.request('GET', `/api/v1/devices/${id}`, { token: tokenA })).status).toBe(404);
    expect(await ds.query('SELECT 1 FROM devices WHERE id = $1', [id])).toEqual([]);
  });

  it('is documented: every route, the one-time meta, and no secret field in the resource', async () => {
    const doc = await api.request('GET', '/api/docs-json');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/api/v1/devices', '/api/v1/devices/{id}', '/api/v1/devices/{id}/credentials/rotate']),
    );
    const created = doc.body.paths['/api/v1/devices'].post.responses['201'].content['application/json'].schema;
    expect(created.properties.meta.$ref).toBe('#/components/schemas/DeviceCredentialsMeta');
    expect(doc.body.components.schemas.DeviceCredentialsMeta.properties).toHaveProperty('sip_password');
    expect(Object.keys(doc.body.components.schemas.DeviceResource.properties)).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/ha1|password/)]),
    );
  });
});
