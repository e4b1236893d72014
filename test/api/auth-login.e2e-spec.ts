import { AuditLogRepository } from '@pbx/database';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { login, seedTenant, seedUser, SeededUser, startApi, TestApi } from './harness';

describe('auth: login, me, lockout, throttling', () => {
  let api: TestApi;
  let tenant: { id: string };
  let admin: SeededUser;

  beforeAll(async () => {
    api = await startApi();
    tenant = await seedTenant(api);
    admin = await seedUser(api, tenant.id, ['tenant_admin']);
  });
  afterAll(() => api.close());

  it('logs in and returns the token pair with RS256 claims', async () => {
    const res = await api.request('POST', '/api/v1/auth/login', { body: { email: admin.email.toUpperCase(), password: admin.password } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_token: expect.stringMatching(/^rt_/),
      refresh_expires_in: 30 * 86400,
    });
    const header = decodeProtectedHeader(res.body.access_token);
    expect(header).toMatchObject({ alg: 'RS256', typ: 'at+jwt', kid: expect.any(String) });
    const claims = decodeJwt(res.body.access_token);
    expect(claims).toMatchObject({ iss: 'pbx-api', aud: 'pbx-admin', sub: admin.id, tid: tenant.id, roles: ['tenant_admin'] });
    expect(typeof claims.jti).toBe('string');
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600);
  });

  it('GET me returns the user with permissions, and never the password hash', async () => {
    const { access } = await login(api, admin);
    const res = await api.request('GET', '/api/v1/auth/me', { token: access });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id: admin.id, email: admin.email, roles: ['tenant_admin'] });
    expect(res.body.data.permissions).toContain('users.create');
    expect(res.body.data.permissions).not.toContain('tenants.manage');
    expect(res.text).not.toMatch(/password_hash|passwordHash|\$2b\$/);
  });

  it('answers 401 Unauthenticated without a token', async () => {
    const res = await api.request('GET', '/api/v1/auth/me');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ message: 'Unauthenticated.' });
  });

  it('validates the login body with Laravel 422 field errors', async () => {
    const res = await api.request('POST', '/api/v1/auth/login', { body: { email: 'not-an-email' } });
    expect(res.status).toBe(422);
    expect(res.body.message).toMatch(/\(and \d+ more errors?\)$/);
    expect(res.body.errors.email).toEqual(['The email field must be a valid email address.']);
    expect(res.body.errors.password).toEqual(expect.arrayContaining(['The password field is required.']));
  });

  it('refuses passwords over 72 bytes with 422 instead of truncating', async () => {
    const long = `${admin.password}${'é'.repeat(40)}`; // > 72 bytes in UTF-8
    const res = await api.request('POST', '/api/v1/auth/login', { body: { email: admin.email, password: long } });
    expect(res.status).toBe(422);
    expect(res.body.errors.password).toEqual(['The password field must not be longer than 72 bytes.']);
  });

  it('answers unknown email and wrong password identically', async () => {
    const a = await api.request('POST', '/api/v1/auth/login', { body: { email: 'nobody-here@example.test', password: 'x' } });
    const b = await api.request('POST', '/api/v1/auth/login', { body: { email: admin.email, password: 'wrong-password' } });
    expect(a.status).toBe(422);
    expect(b.status).toBe(422);
    expect(a.body).toEqual(b.body);
    expect(a.body.errors.email).toEqual(['These credentials do not match our records.']);
    await login(api, admin); // resets the failure count for the next tests
  });

  it('rejects malformed JSON with a 400 and keeps serving', async () => {
    const res = await api.request('POST', '/api/v1/auth/login', { body: '{"email":' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ message: 'The request body is not valid JSON.' });
    const ok = await api.request('GET', '/health/live');
    expect(ok.status).toBe(200);
  });

  it('locks an account after 5 consecutive failures, even for the right password, and audits it', async () => {
    const victim = await seedUser(api, tenant.id, ['agent']);
    for (let i = 0; i < 5; i++) {
      const r = await api.request('POST', '/api/v1/auth/login', { body: { email: victim.email, password: 'nope' } });
      expect(r.status).toBe(422);
    }
    const locked = await api.request('POST', '/api/v1/auth/login', { body: { email: victim.email, password: victim.password } });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(800);
    expect(locked.body.message).toMatch(/Too many login attempts/);
    const audit = await api.app.get(AuditLogRepository).list(tenant.id, {
      page: 1,
      perPage: 50,
      sort: [],
      filters: { action: 'auth.lockout' },
    });
    expect(audit.items.map((a) => a.targetId)).toContain(victim.id);
  });

  it('locks unknown emails the same way, so lockout does not reveal accounts', async () => {
    const ghost = `ghost-${Date.now()}@example.test`;
    for (let i = 0; i < 5; i++) {
      expect((await api.request('POST', '/api/v1/auth/login', { body: { email: ghost, password: 'nope' } })).status).toBe(422);
    }
    const res = await api.request('POST', '/api/v1/auth/login', { body: { email: ghost, password: 'nope' } });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(800);
  });
});

describe('auth: rate limits shared through Redis', () => {
  let a: TestApi;
  let b: TestApi;
  beforeAll(async () => {
    const prefix = `pbx-test:rl-${Date.now()}:`;
    const limits = { LOGIN_RATE_PER_IP: '4', LOGIN_RATE_PER_ACCOUNT: '100', REDIS_KEY_PREFIX: prefix };
    a = await startApi(limits);
    b = await startApi(limits);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('counts attempts from one IP across two API instances and answers 429 with Retry-After', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const api = i % 2 ? a : b;
      statuses.push((await api.request('POST', '/api/v1/auth/login', { body: { email: `rl${i}@example.test`, password: 'x' } })).status);
    }
    expect(statuses.slice(0, 4)).toEqual([422, 422, 422, 422]);
    expect(statuses.slice(4)).toEqual([429, 429]);
    const res = await a.request('POST', '/api/v1/auth/login', { body: { email: 'rl@example.test', password: 'x' } });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('auth: GET me reflects profile changes at once', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.close());

  it('shows a renamed user immediately despite the profile cache', async () => {
    const t = await seedTenant(api);
    const admin = await seedUser(api, t.id, ['tenant_admin']);
    const agent = await seedUser(api, t.id, ['agent']);
    const a = await login(api, agent);
    expect((await api.request('GET', '/api/v1/auth/me', { token: a.access })).body.data.name).toBe('Test User');
    const { access } = await login(api, admin);
    const patched = await api.request('PATCH', `/api/v1/users/${agent.id}`, { token: access, body: { name: 'Renamed Agent' } });
    expect(patched.status).toBe(200);
    expect((await api.request('GET', '/api/v1/auth/me', { token: a.access })).body.data.name).toBe('Renamed Agent');
  });
});
