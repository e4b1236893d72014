import { AuditLogRepository, RefreshTokensRepository } from '@pbx/database';
import { hashRefreshToken, SessionsService } from '../../apps/api/src/auth/sessions.service';
import { createSign, KeyObject } from 'node:crypto';
import { exportSPKI, SignJWT } from 'jose';
import { loadKeys, LoadedKey } from '../../apps/api/src/auth/keys/key-store';
import { login, seedTenant, seedUser, SeededUser, startApi, TestApi } from './harness';

const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Signs any header and payload with RS256 by hand, so tests can build tokens jose would refuse to make. */
function signRaw(header: object, payload: object, key: LoadedKey): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const sig = createSign('RSA-SHA256').update(input).sign(key.privateKey as KeyObject);
  return `${input}.${sig.toString('base64url')}`;
}

describe('auth: access token verification refuses every forgery', () => {
  let api: TestApi;
  let user: SeededUser;
  let key: LoadedKey;
  let claims: Record<string, unknown>;
  const now = () => Math.floor(Date.now() / 1000);
  const header = () => ({ alg: 'RS256', typ: 'at+jwt', kid: key.kid });
  const me = (token: string) => api.request('GET', '/api/v1/auth/me', { token });

  beforeAll(async () => {
    api = await startApi();
    const t = await seedTenant(api);
    user = await seedUser(api, t.id, ['tenant_admin']);
    [key] = await loadKeys(api.keysDir);
    const { access } = await login(api, user);
    claims = JSON.parse(Buffer.from(access.split('.')[1], 'base64url').toString());
  });
  afterAll(() => api.close());

  it('accepts a well-formed token signed by hand (the control for every case below)', async () => {
    const res = await me(signRaw(header(), { ...claims, jti: 'control-1' }, key));
    expect(res.status).toBe(200);
  });

  const cases: Array<[string, () => Promise<string> | string]> = [
    ['alg none', () => `${b64({ alg: 'none', typ: 'at+jwt', kid: key.kid })}.${b64(claims)}.`],
    [
      'HS256 signed with the public key',
      async () =>
        new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: key.kid })
          .sign(new TextEncoder().encode(await exportSPKI(key.publicKey))),
    ],
    ['expired', () => signRaw(header(), { ...claims, iat: now() - 7200, exp: now() - 3600 }, key)],
    ['not yet valid (nbf)', () => signRaw(header(), { ...claims, nbf: now() + 3600 }, key)],
    ['issued in the future (iat)', () => signRaw(header(), { ...claims, iat: now() + 3600, exp: now() + 7200 }, key)],
    ['missing exp', () => signRaw(header(), { ...claims, exp: undefined }, key)],
    ['wrong issuer', () => signRaw(header(), { ...claims, iss: 'evil' }, key)],
    ['wrong audience', () => signRaw(header(), { ...claims, aud: 'someone-else' }, key)],
    ['unknown kid', () => signRaw({ ...header(), kid: 'no-such-key' }, claims, key)],
    ['missing kid', () => signRaw({ alg: 'RS256', typ: 'at+jwt' }, claims, key)],
    ['unknown crit header', () => signRaw({ ...header(), crit: ['x-pbx'], 'x-pbx': 1 }, claims, key)],
    ['wrong typ (not an access token)', () => signRaw({ ...header(), typ: 'JWT' }, claims, key)],
    ['tampered payload', () => {
      const [h, , s] = signRaw(header(), claims, key).split('.');
      return `${h}.${b64({ ...claims, roles: ['platform_admin'] })}.${s}`;
    }],
    ['garbage', () => 'a.b.c'],
  ];

  it.each(cases)('refuses %s with 401', async (_name, build) => {
    const res = await me(await build());
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ message: 'Unauthenticated.' });
  });

  it('refuses a refresh token presented as an access token', async () => {
    const { refresh } = await login(api, user);
    expect((await me(refresh)).status).toBe(401);
  });

  it('publishes the public key, and only public members, in the JWKS', async () => {
    const res = await api.request('GET', '/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(res.body.keys).toEqual([expect.objectContaining({ kid: key.kid, kty: 'RSA', alg: 'RS256', use: 'sig' })]);
    for (const k of res.body.keys) for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(k[secret]).toBeUndefined();
  });
});

describe('auth: refresh rotation, reuse detection, logout', () => {
  let api: TestApi;
  let user: SeededUser;
  const me = (token: string) => api.request('GET', '/api/v1/auth/me', { token });
  const refresh = (token: string) => api.request('POST', '/api/v1/auth/refresh', { body: { refresh_token: token } });

  beforeAll(async () => {
    api = await startApi();
    const t = await seedTenant(api);
    user = await seedUser(api, t.id, ['agent']);
  });
  afterAll(() => api.close());

  it('rotates the refresh token on every use', async () => {
    const first = await login(api, user);
    const res = await refresh(first.refresh);
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).not.toBe(first.refresh);
    expect((await me(res.body.access_token)).status).toBe(200);
    expect((await refresh(res.body.refresh_token)).status).toBe(200);
  });

  it('treats reuse of a spent refresh token as theft: the whole family dies, and it is audited', async () => {
    const first = await login(api, user);
    const second = (await refresh(first.refresh)).body;
    const replay = await refresh(first.refresh);
    expect(replay.status).toBe(401);
    expect(replay.body).toEqual({ message: 'Unauthenticated.' });
    expect((await refresh(second.refresh_token)).status).toBe(401);
    expect((await me(second.access_token)).status).toBe(401);
    expect((await me(first.access)).status).toBe(401);
    const audit = await api.app.get(AuditLogRepository).list(user.tenantId, {
      page: 1,
      perPage: 10,
      sort: [],
      filters: { action: 'auth.refresh.reuse_detected' },
    });
    expect(audit.total).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(audit.items)).not.toContain(first.refresh);
  });

  it('treats two concurrent refreshes with one token as reuse: at most one gets tokens, and the session dies', async () => {
    const s = await login(api, user);
    const results = await Promise.all([refresh(s.refresh), refresh(s.refresh)]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((c) => c === 200).length).toBeLessThanOrEqual(1);
    expect(statuses).toContain(401);
    // Whatever the interleaving, nothing issued from that family keeps working.
    for (const r of results.filter((x) => x.status === 200)) {
      expect((await refresh(r.body.refresh_token)).status).toBe(401);
      expect((await me(r.body.access_token)).status).toBe(401);
    }
    expect((await me(s.access)).status).toBe(401);
  });

  it('does not let a refresh in flight outlive a revoke-all that lands mid-rotation', async () => {
    const s = await login(api, user);
    // The first half of a refresh: the presented token is spent...
    const spent = await api.app.get(RefreshTokensRepository).consume(hashRefreshToken(s.refresh));
    expect(spent.kind).toBe('ok');
    if (spent.kind !== 'ok') return;
    // ...then a password reset or logout-all revokes every session...
    await api.app.get(SessionsService).revokeAllForUser(user.id, 'password_reset');
    // ...and the second half must not mint a child the revoke never saw.
    const child = await api.app
      .get(SessionsService)
      .issue({ id: user.id, tenantId: user.tenantId, roles: ['agent'] }, { ip: null, userAgent: null }, {
        familyId: spent.token.familyId,
        parentId: spent.token.id,
      });
    expect(child).toBeNull();
  });

  it('refuses unknown refresh tokens and validates the body', async () => {
    expect((await refresh('rt_not-a-real-token')).status).toBe(401);
    const res = await api.request('POST', '/api/v1/auth/refresh', { body: {} });
    expect(res.status).toBe(422);
    expect(res.body.errors.refresh_token).toEqual(expect.arrayContaining(['The refresh_token field is required.']));
  });

  it('logout revokes the presented access token and its refresh family, but not other sessions', async () => {
    const a = await login(api, user);
    const b = await login(api, user);
    expect((await api.request('POST', '/api/v1/auth/logout', { token: a.access })).status).toBe(204);
    expect((await me(a.access)).status).toBe(401);
    expect((await refresh(a.refresh)).status).toBe(401);
    expect((await me(b.access)).status).toBe(200);
  });

  it('logout-all ends every session of the user; a new login still works', async () => {
    const a = await login(api, user);
    const b = await login(api, user);
    expect((await api.request('POST', '/api/v1/auth/logout-all', { token: a.access })).status).toBe(204);
    for (const s of [a, b]) {
      expect((await me(s.access)).status).toBe(401);
      expect((await refresh(s.refresh)).status).toBe(401);
    }
    const c = await login(api, user);
    expect((await me(c.access)).status).toBe(200);
  });
});
