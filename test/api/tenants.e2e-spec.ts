import { AuditLogRepository } from '@pbx/database';
import { randomUUID } from 'node:crypto';
import { login, seedTenant, seedUser, SeededUser, startApi, TestApi } from './harness';

const TENANT_KEYS = [
  'codec_allow_list',
  'created_at',
  'default_country',
  'id',
  'name',
  'slug',
  'srtp_required',
  'status',
  'timezone',
  'updated_at',
];

describe('tenants: /api/v1/tenants', () => {
  let api: TestApi;
  let platform: { id: string };
  let other: { id: string };
  let root: SeededUser;
  let rootToken: string;
  let tenantAdmin: SeededUser;
  let adminToken: string;
  const slug = (p = 'x') => `${p}-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    api = await startApi();
    platform = await seedTenant(api, 'Platform');
    other = await seedTenant(api, 'Other');
    root = await seedUser(api, platform.id, ['platform_admin']);
    tenantAdmin = await seedUser(api, other.id, ['tenant_admin']);
    rootToken = (await login(api, root)).access;
    adminToken = (await login(api, tenantAdmin)).access;
  });
  afterAll(() => api.close());

  const auditRows = async (tenantId: string, filters: Record<string, string>) =>
    (await api.app.get(AuditLogRepository).list(tenantId, { page: 1, perPage: 100, sort: [], filters }))
      .items;

  it('a platform admin creates a tenant: 201, exact shape, defaults, normalised country and zone, audited in both chains', async () => {
    const s = slug('acme');
    const res = await api.request('POST', '/api/v1/tenants', {
      token: rootToken,
      body: { name: ' Acme ', slug: s, default_country: 'gb', timezone: 'europe/london' },
    });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body)).toEqual(['data']);
    expect(Object.keys(res.body.data).sort()).toEqual(TENANT_KEYS);
    expect(res.body.data).toMatchObject({
      name: 'Acme',
      slug: s,
      status: 'active',
      default_country: 'GB',
      timezone: 'Europe/London',
    });
    const bare = await api.request('POST', '/api/v1/tenants', {
      token: rootToken,
      body: { name: 'Bare', slug: slug() },
    });
    expect(bare.body.data).toMatchObject({ status: 'active', default_country: 'US', timezone: 'UTC' });
    for (const chain of [platform.id, res.body.data.id]) {
      const rows = await auditRows(chain, { action: 'tenant.created', target_id: res.body.data.id });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        actorUserId: root.id,
        result: 'success',
        metadata: { slug: s, status: 'active' },
      });
    }
  });

  it('media settings: SRTP required and every codec allowed by default; a codec list canonicalised; 422 for bad values', async () => {
    const created = await api.request('POST', '/api/v1/tenants', { token: rootToken, body: { name: 'Media', slug: slug('media') } });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ srtp_required: true, codec_allow_list: [] });
    const id = created.body.data.id as string;
    const patched = await api.request('PATCH', `/api/v1/tenants/${id}`, {
      token: rootToken,
      body: { srtp_required: false, codec_allow_list: ['pcma', 'OPUS', 'PCMA'] },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.data).toMatchObject({ srtp_required: false, codec_allow_list: ['PCMA', 'opus'] });
    const bad = await api.request('PATCH', `/api/v1/tenants/${id}`, {
      token: rootToken,
      body: { srtp_required: 'yes', codec_allow_list: ['PCMA', 'mp3'] },
    });
    expect(bad.status).toBe(422);
    expect(Object.keys(bad.body.errors).sort()).toEqual(['codec_allow_list', 'srtp_required']);
    const notArray = await api.request('PATCH', `/api/v1/tenants/${id}`, { token: rootToken, body: { codec_allow_list: 'PCMA' } });
    expect(notArray.status).toBe(422);
    expect(notArray.body.errors.codec_allow_list).toBeDefined();
    const still = await api.request('GET', `/api/v1/tenants/${id}`, { token: rootToken });
    expect(still.body.data).toMatchObject({ srtp_required: false, codec_allow_list: ['PCMA', 'opus'] });
  });

  it('answers 422 with field errors for bad slug, country, zone, status and a taken slug', async () => {
    const res = await api.request('POST', '/api/v1/tenants', {
      token: rootToken,
      body: { slug: 'Bad_Slug-', status: 'closed', default_country: 'XX', timezone: 'Mars/Olympus_Mons' },
    });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual({
      name: expect.arrayContaining(['The name field is required.']),
      slug: ['The slug field must only contain lowercase letters, numbers and single dashes between them.'],
      status: ['The selected status is invalid. Allowed: active, suspended.'],
      default_country: ['The default_country field must be an ISO 3166-1 alpha-2 country code.'],
      timezone: ['The timezone field must be a valid IANA time zone.'],
    });
    const offset = await api.request('POST', '/api/v1/tenants', {
      token: rootToken,
      body: { name: 'O', slug: slug(), timezone: '+01:00' },
    });
    expect(offset.body.errors).toEqual({ timezone: ['The timezone field must be a valid IANA time zone.'] });
    const existing = (await api.request('GET', `/api/v1/tenants/${other.id}`, { token: rootToken })).body.data
      .slug;
    const taken = await api.request('POST', '/api/v1/tenants', {
      token: rootToken,
      body: { name: 'Dup', slug: existing },
    });
    expect(taken.body).toEqual({
      message: 'The slug has already been taken.',
      errors: { slug: ['The slug has already been taken.'] },
    });
    const rename = await api.request('PATCH', `/api/v1/tenants/${other.id}`, {
      token: rootToken,
      body: { slug: slug() },
    });
    expect(rename.status).toBe(422);
    expect(rename.body.errors).toEqual({ slug: ['The slug field is not allowed.'] });
  });

  it('lists every tenant for a platform admin, with filters, sort and pagination', async () => {
    const marker = `Mark${randomUUID().slice(0, 6)}`;
    for (const n of ['c', 'a', 'b']) {
      const r = await api.request('POST', '/api/v1/tenants', {
        token: rootToken,
        body: { name: `${marker} ${n}`, slug: slug(n) },
      });
      expect(r.status).toBe(201);
    }
    const path = `/api/v1/tenants?filter[name]=${marker}&per_page=2`;
    const p1 = await api.request('GET', path, { token: rootToken });
    expect(p1.status).toBe(200);
    expect(p1.body.data.map((t: { name: string }) => t.name)).toEqual([`${marker} a`, `${marker} b`]);
    expect(p1.body.meta).toMatchObject({
      current_page: 1,
      from: 1,
      to: 2,
      last_page: 2,
      per_page: 2,
      total: 3,
    });
    expect(p1.body.links.prev).toBeNull();
    const p2 = await api.request('GET', p1.body.links.next.replace(api.config.API_PUBLIC_URL, ''), {
      token: rootToken,
    });
    expect(p2.body.data.map((t: { name: string }) => t.name)).toEqual([`${marker} c`]);
    const desc = await api.request('GET', `/api/v1/tenants?filter[name]=${marker}&sort=-name`, {
      token: rootToken,
    });
    expect(desc.body.data.map((t: { name: string }) => t.name)).toEqual([
      `${marker} c`,
      `${marker} b`,
      `${marker} a`,
    ]);
    const all = await api.request('GET', '/api/v1/tenants?per_page=100&filter[status]=active', {
      token: rootToken,
    });
    expect(all.body.meta.total).toBeGreaterThanOrEqual(5);
  });

  it('shows others only their own tenant; another tenant is a 404, as if it did not exist', async () => {
    const list = await api.request('GET', '/api/v1/tenants', { token: adminToken });
    expect(list.status).toBe(200);
    expect(list.body.data.map((t: { id: string }) => t.id)).toEqual([other.id]);
    expect(list.body.meta.total).toBe(1);
    expect((await api.request('GET', `/api/v1/tenants/${other.id}`, { token: adminToken })).status).toBe(200);
    const foreign = await api.request('GET', `/api/v1/tenants/${platform.id}`, { token: adminToken });
    const missing = await api.request('GET', `/api/v1/tenants/${randomUUID()}`, { token: adminToken });
    expect([foreign.status, missing.status]).toEqual([404, 404]);
    expect(foreign.body).toEqual(missing.body);
    expect((await api.request('GET', '/api/v1/tenants/nope', { token: rootToken })).status).toBe(404);
    const auditor = await seedUser(api, other.id, ['auditor']);
    const seen = await api.request('GET', '/api/v1/tenants', { token: (await login(api, auditor)).access });
    expect(seen.body.data.map((t: { id: string }) => t.id)).toEqual([other.id]);
  });

  it('refuses writes without tenants.manage and reads without tenants.view (403)', async () => {
    const create = await api.request('POST', '/api/v1/tenants', {
      token: adminToken,
      body: { name: 'No', slug: slug() },
    });
    const patchOwn = await api.request('PATCH', `/api/v1/tenants/${other.id}`, {
      token: adminToken,
      body: { name: 'Mine' },
    });
    expect([create.status, patchOwn.status]).toEqual([403, 403]);
    expect(create.body).toEqual({ message: 'This action is unauthorized.' });
    for (const role of ['agent', 'supervisor']) {
      const u = await seedUser(api, other.id, [role]);
      expect(
        (await api.request('GET', '/api/v1/tenants', { token: (await login(api, u)).access })).status,
      ).toBe(403);
    }
    expect(
      (await api.request('GET', `/api/v1/tenants/${other.id}`, { token: adminToken })).body.data.name,
    ).not.toBe('Mine');
  });

  it("suspension ends the tenant's sessions and fails its logins; reactivation restores them", async () => {
    const t = await seedTenant(api, 'Suspended');
    const user = await seedUser(api, t.id, ['tenant_admin']);
    const session = await login(api, user);
    const res = await api.request('PATCH', `/api/v1/tenants/${t.id}`, {
      token: rootToken,
      body: { status: 'suspended', name: 'Frozen' },
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ status: 'suspended', name: 'Frozen' });
    expect((await api.request('GET', '/api/v1/auth/me', { token: session.access })).status).toBe(401);
    const attempt = await api.request('POST', '/api/v1/auth/login', {
      body: { email: user.email, password: user.password },
    });
    expect(attempt.status).toBe(422);
    expect(attempt.body.errors).toEqual({ email: ['These credentials do not match our records.'] });
    const [row] = await auditRows(platform.id, { action: 'tenant.suspended', target_id: t.id });
    expect(row.metadata).toEqual({ fields: ['name', 'status'], status: 'suspended', sessions_revoked: 1 });
    const back = await api.request('PUT', `/api/v1/tenants/${t.id}`, {
      token: rootToken,
      body: { status: 'active' },
    });
    expect(back.body.data.status).toBe('active');
    await login(api, user);
    expect(await auditRows(t.id, { action: 'tenant.reactivated' })).toHaveLength(1);
  });

  it('updates settings, ignores no-op changes, and refuses to suspend your own tenant', async () => {
    const t = await seedTenant(api, 'Settings');
    const res = await api.request('PATCH', `/api/v1/tenants/${t.id}`, {
      token: rootToken,
      body: { default_country: 'de', timezone: 'Europe/Berlin' },
    });
    expect(res.body.data).toMatchObject({ default_country: 'DE', timezone: 'Europe/Berlin' });
    const again = await api.request('PATCH', `/api/v1/tenants/${t.id}`, {
      token: rootToken,
      body: { timezone: 'Europe/Berlin' },
    });
    expect(again.status).toBe(200);
    const [row, ...rest] = await auditRows(t.id, { action: 'tenant.updated' });
    expect(rest).toHaveLength(0);
    expect(row.metadata).toEqual({ fields: ['default_country', 'timezone'] });
    const self = await api.request('PATCH', `/api/v1/tenants/${platform.id}`, {
      token: rootToken,
      body: { status: 'suspended' },
    });
    expect(self.status).toBe(422);
    expect(self.body.errors).toEqual({ status: ['You may not suspend your own tenant.'] });
    const nul = await api.request('PATCH', `/api/v1/tenants/${t.id}`, {
      token: rootToken,
      body: { name: null },
    });
    expect(nul.status).toBe(422);
  });
});
