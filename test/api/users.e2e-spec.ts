import { AuditLogRepository } from '@pbx/database';
import { randomUUID } from 'node:crypto';
import { login, seedTenant, seedUser, SeededUser, startApi, TestApi } from './harness';

const USER_KEYS = [
  'created_at',
  'email',
  'id',
  'last_login_at',
  'locked',
  'name',
  'roles',
  'status',
  'tenant_id',
  'updated_at',
];

describe('users: /api/v1/users', () => {
  let api: TestApi;
  let tenantA: { id: string };
  let tenantB: { id: string };
  let adminA: SeededUser;
  let tokenA: string;
  let adminB: SeededUser;
  let userB: SeededUser;
  const email = () => `n-${randomUUID().slice(0, 10)}@example.test`;

  beforeAll(async () => {
    api = await startApi();
    tenantA = await seedTenant(api, 'Users A');
    tenantB = await seedTenant(api, 'Users B');
    adminA = await seedUser(api, tenantA.id, ['tenant_admin']);
    adminB = await seedUser(api, tenantB.id, ['tenant_admin']);
    userB = await seedUser(api, tenantB.id, ['agent']);
    tokenA = (await login(api, adminA)).access;
  });
  afterAll(() => api.close());

  const auditRows = async (tenantId: string, filters: Record<string, string> = {}) =>
    (await api.app.get(AuditLogRepository).list(tenantId, { page: 1, perPage: 100, sort: [], filters }))
      .items;

  describe('create', () => {
    it('creates a user with the given password: 201, exact envelope, no meta, and the password logs in', async () => {
      const addr = email();
      const res = await api.request('POST', '/api/v1/users', {
        token: tokenA,
        body: {
          email: addr.toUpperCase(),
          name: '  Ada  ',
          password: 'correct horse battery',
          roles: ['agent', 'supervisor'],
        },
      });
      expect(res.status).toBe(201);
      expect(Object.keys(res.body)).toEqual(['data']);
      expect(Object.keys(res.body.data).sort()).toEqual(USER_KEYS);
      expect(res.body.data).toMatchObject({
        tenant_id: tenantA.id,
        email: addr,
        name: 'Ada',
        status: 'active',
        roles: ['agent', 'supervisor'],
        locked: false,
        last_login_at: null,
      });
      expect(res.text).not.toMatch(/correct horse|password/);
      await login(api, { email: addr, password: 'correct horse battery' });
      const audit = await auditRows(tenantA.id, { action: 'user.created', target_id: res.body.data.id });
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ actorUserId: adminA.id, result: 'success', targetType: 'user' });
      expect(audit[0].metadata).toEqual({ roles: ['agent', 'supervisor'], password_generated: false });
    });

    it('generates a password when none is given, shows it once, and never again', async () => {
      const addr = email();
      const res = await api.request('POST', '/api/v1/users', {
        token: tokenA,
        body: { email: addr, name: 'Gen', roles: ['agent'] },
      });
      expect(res.status).toBe(201);
      const generated: string = res.body.meta.generated_password;
      expect(generated).toMatch(/^[A-Za-z0-9_-]{24}$/);
      await login(api, { email: addr, password: generated });
      const show = await api.request('GET', `/api/v1/users/${res.body.data.id}`, { token: tokenA });
      expect(show.body.meta).toBeUndefined();
      expect(show.text).not.toContain(generated);
      const list = await api.request('GET', '/api/v1/users?per_page=100', { token: tokenA });
      expect(list.text).not.toContain(generated);
      const audit = await api.request('GET', '/api/v1/audit-log?per_page=100', { token: tokenA });
      expect(audit.status).toBe(200);
      expect(audit.text).not.toContain(generated);
      expect(JSON.stringify(await auditRows(tenantA.id))).not.toContain(generated);
    });

    it('answers 422 with Laravel field errors', async () => {
      const res = await api.request('POST', '/api/v1/users', {
        token: tokenA,
        body: { email: 'nope', password: 'short', roles: ['agent', 'wizard'], extra: 1 },
      });
      expect(res.status).toBe(422);
      expect(res.body.message).toMatch(/\(and \d+ more errors\)$/);
      expect(Object.keys(res.body.errors).sort()).toEqual(['email', 'extra', 'name', 'password', 'roles']);
      expect(res.body.errors.email).toEqual(['The email field must be a valid email address.']);
      expect(res.body.errors.name).toContain('The name field is required.');
      expect(res.body.errors.password).toEqual(['The password field must be at least 12 characters.']);
      expect(res.body.errors.roles[0]).toMatch(/^The selected roles are invalid/);
      expect(res.body.errors.extra).toEqual(['The extra field is not allowed.']);
    });

    it('refuses passwords over 72 bytes and duplicate emails (case-insensitively)', async () => {
      const long = await api.request('POST', '/api/v1/users', {
        token: tokenA,
        body: { email: email(), name: 'L', password: 'é'.repeat(37), roles: ['agent'] },
      });
      expect(long.status).toBe(422);
      expect(long.body.errors).toEqual({
        password: ['The password field must not be longer than 72 bytes.'],
      });
      const dup = await api.request('POST', '/api/v1/users', {
        token: tokenA,
        body: { email: userB.email.toUpperCase(), name: 'Dup', roles: ['agent'] },
      });
      expect(dup.status).toBe(422);
      expect(dup.body).toEqual({
        message: 'The email has already been taken.',
        errors: { email: ['The email has already been taken.'] },
      });
    });

    it('refuses privilege escalation: a tenant admin cannot grant platform_admin, and the attempt is audited', async () => {
      const addr = email();
      const res = await api.request('POST', '/api/v1/users', {
        token: tokenA,
        body: { email: addr, name: 'Esc', roles: ['agent', 'platform_admin'] },
      });
      expect(res.status).toBe(422);
      expect(res.body.errors).toEqual({ roles: ['You may not grant the role platform_admin.'] });
      const denied = await auditRows(tenantA.id, { action: 'user.created', result: 'denied' });
      expect(denied.map((a) => a.metadata)).toContainEqual({
        reason: 'role_not_grantable',
        roles: ['platform_admin'],
      });
      const search = await api.request('GET', `/api/v1/users?filter[email]=${encodeURIComponent(addr)}`, {
        token: tokenA,
      });
      expect(search.body.meta.total).toBe(0);
    });

    it('lets a platform admin grant platform_admin (within their own tenant)', async () => {
      const root = await seedUser(api, tenantA.id, ['platform_admin']);
      const { access } = await login(api, root);
      const res = await api.request('POST', '/api/v1/users', {
        token: access,
        body: { email: email(), name: 'Root 2', roles: ['platform_admin'] },
      });
      expect(res.status).toBe(201);
      expect(res.body.data).toMatchObject({ tenant_id: tenantA.id, roles: ['platform_admin'] });
    });
  });

  describe('list', () => {
    let tenantC: { id: string };
    let tokenC: string;
    beforeAll(async () => {
      tenantC = await seedTenant(api, 'Users C');
      const admin = await seedUser(
        api,
        tenantC.id,
        ['tenant_admin'],
        `zz-admin-${randomUUID().slice(0, 6)}@example.test`,
      );
      tokenC = (await login(api, admin)).access;
      for (const [name, roles] of [
        ['Dora', ['agent']],
        ['Bob', ['supervisor']],
        ['Cleo', ['agent']],
        ['Abe', ['auditor']],
      ] as const) {
        const r = await api.request('POST', '/api/v1/users', {
          token: tokenC,
          body: { email: `${name.toLowerCase()}-${randomUUID().slice(0, 6)}@example.test`, name, roles },
        });
        expect(r.status).toBe(201);
      }
    });

    it('paginates with Laravel links and meta, sorted by name by default', async () => {
      const res = await api.request('GET', '/api/v1/users?per_page=2&page=2', { token: tokenC });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['data', 'links', 'meta']);
      expect(res.body.data.map((u: { name: string }) => u.name)).toEqual(['Cleo', 'Dora']);
      const base = `${api.config.API_PUBLIC_URL}/api/v1/users`;
      expect(res.body.meta).toEqual({
        current_page: 2,
        from: 3,
        last_page: 3,
        path: base,
        per_page: 2,
        to: 4,
        total: 5,
      });
      expect(res.body.links).toEqual({
        first: `${base}?per_page=2&page=1`,
        last: `${base}?per_page=2&page=3`,
        prev: `${base}?per_page=2&page=1`,
        next: `${base}?per_page=2&page=3`,
      });
      const last = await api.request('GET', '/api/v1/users?per_page=2&page=3', { token: tokenC });
      expect(last.body.meta).toMatchObject({ from: 5, to: 5 });
      expect(last.body.links.next).toBeNull();
      const beyond = await api.request('GET', '/api/v1/users?per_page=2&page=9', { token: tokenC });
      expect(beyond.body.data).toEqual([]);
      expect(beyond.body.meta).toMatchObject({ from: null, to: null, total: 5 });
    });

    it('sorts descending and filters by role, name, email and status', async () => {
      const sorted = await api.request('GET', '/api/v1/users?sort=-name', { token: tokenC });
      expect(sorted.body.data.map((u: { name: string }) => u.name)).toEqual([
        'Test User',
        'Dora',
        'Cleo',
        'Bob',
        'Abe',
      ]);
      const agents = await api.request('GET', '/api/v1/users?filter[role]=agent&sort=name', {
        token: tokenC,
      });
      expect(agents.body.data.map((u: { name: string }) => u.name)).toEqual(['Cleo', 'Dora']);
      expect(agents.body.links.first).toContain('filter%5Brole%5D=agent');
      const byName = await api.request('GET', '/api/v1/users?filter[name]=OB', { token: tokenC });
      expect(byName.body.data.map((u: { name: string }) => u.name)).toEqual(['Bob']);
      const byEmail = await api.request('GET', '/api/v1/users?filter[email]=zz-admin', { token: tokenC });
      expect(byEmail.body.meta.total).toBe(1);
      const inactive = await api.request('GET', '/api/v1/users?filter[status]=deactivated', {
        token: tokenC,
      });
      expect(inactive.body.meta.total).toBe(0);
    });

    it('answers 422 for unknown sort or filter fields', async () => {
      const res = await api.request(
        'GET',
        '/api/v1/users?sort=password_hash&filter[tenant_id]=x&per_page=500',
        { token: tokenC },
      );
      expect(res.status).toBe(422);
      expect(Object.keys(res.body.errors).sort()).toEqual(['filter.tenant_id', 'per_page', 'sort']);
    });

    it("never lists another tenant's users", async () => {
      const res = await api.request('GET', '/api/v1/users?per_page=100', { token: tokenA });
      const ids = res.body.data.map((u: { id: string }) => u.id);
      expect(ids).toContain(adminA.id);
      expect(ids).not.toContain(userB.id);
      expect(ids).not.toContain(adminB.id);
      expect(res.body.data.every((u: { tenant_id: string }) => u.tenant_id === tenantA.id)).toBe(true);
    });
  });

  describe('tenant isolation and ids', () => {
    it.each([
      ['GET', ''],
      ['PATCH', ''],
      ['PUT', ''],
      ['DELETE', ''],
      ['POST', '/reset-password'],
    ])("answers %s of another tenant's user with 404, as if it did not exist", async (method, suffix) => {
      const body =
        method === 'GET' || method === 'DELETE' ? undefined : method === 'POST' ? {} : { name: 'Hijacked' };
      const other = await api.request(method, `/api/v1/users/${userB.id}${suffix}`, { token: tokenA, body });
      const missing = await api.request(method, `/api/v1/users/${randomUUID()}${suffix}`, {
        token: tokenA,
        body,
      });
      expect(other.status).toBe(404);
      expect(other.body).toEqual({ message: 'Not Found.' });
      expect(missing.body).toEqual(other.body);
      const still = await api.request('GET', `/api/v1/users/${userB.id}`, {
        token: (await login(api, adminB)).access,
      });
      expect(still.body.data).toMatchObject({ name: 'Test User', status: 'active' });
    });

    it('answers a malformed id with 404, not 400', async () => {
      const res = await api.request('GET', '/api/v1/users/not-a-uuid', { token: tokenA });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ message: 'Not Found.' });
    });
  });
});
