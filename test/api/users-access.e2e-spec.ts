import { AuditLogRepository } from '@pbx/database';
import { randomUUID } from 'node:crypto';
import { login, seedTenant, seedUser, SeededUser, startApi, TestApi } from './harness';

/** Polls until `check` passes or the deadline runs out (the denied-access audit is written after the 403 is sent). */
async function eventually(check: () => Promise<boolean>, deadlineMs = 3000): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

describe('users: RBAC, sessions, deactivation and password reset', () => {
  let api: TestApi;
  let tenant: { id: string };
  let admin: SeededUser;
  let token: string;

  beforeAll(async () => {
    api = await startApi();
    tenant = await seedTenant(api, 'Users access');
    admin = await seedUser(api, tenant.id, ['tenant_admin']);
    token = (await login(api, admin)).access;
  });
  afterAll(() => api.close());

  const auditRows = async (filters: Record<string, string>) =>
    (await api.app.get(AuditLogRepository).list(tenant.id, { page: 1, perPage: 100, sort: [], filters }))
      .items;
  const me = async (access: string) =>
    (await api.request('GET', '/api/v1/auth/me', { token: access })).status;

  describe.each(['agent', 'supervisor', 'auditor'])('as %s', (role) => {
    let caller: SeededUser;
    let access: string;
    let target: SeededUser;
    beforeAll(async () => {
      caller = await seedUser(api, tenant.id, [role]);
      target = await seedUser(api, tenant.id, ['agent']);
      access = (await login(api, caller)).access;
    });

    it('is refused every write with 403, and the refusal is audited', async () => {
      const writes = [
        api.request('POST', '/api/v1/users', {
          token: access,
          body: { email: `x-${randomUUID()}@example.test`, name: 'X', roles: ['agent'] },
        }),
        api.request('PATCH', `/api/v1/users/${target.id}`, { token: access, body: { name: 'Renamed' } }),
        api.request('DELETE', `/api/v1/users/${target.id}`, { token: access }),
        api.request('POST', `/api/v1/users/${target.id}/reset-password`, { token: access, body: {} }),
      ];
      for (const res of await Promise.all(writes)) {
        expect(res.status).toBe(403);
        expect(res.body).toEqual({ message: 'This action is unauthorized.' });
      }
      const audited = await eventually(
        async () => (await auditRows({ action: 'access.denied', actor_user_id: caller.id })).length === 4,
      );
      expect(audited).toBe(true);
      const rows = await auditRows({ action: 'access.denied', actor_user_id: caller.id });
      expect(rows.map((r) => r.metadata.route).sort()).toEqual([
        '/api/v1/users',
        '/api/v1/users/:id',
        '/api/v1/users/:id',
        '/api/v1/users/:id/reset-password',
      ]);
    });

    it(role === 'agent' ? 'cannot read users' : 'can read users', async () => {
      const list = await api.request('GET', '/api/v1/users', { token: access });
      const show = await api.request('GET', `/api/v1/users/${target.id}`, { token: access });
      const expected = role === 'agent' ? 403 : 200;
      expect([list.status, show.status]).toEqual([expected, expected]);
      if (expected === 200) expect(show.body.data).toMatchObject({ id: target.id, name: 'Test User' });
    });
  });

  it('a tenant admin cannot edit, deactivate or reset a platform admin (403), nor promote anyone to one (422)', async () => {
    const root = await seedUser(api, tenant.id, ['platform_admin']);
    const patch = await api.request('PATCH', `/api/v1/users/${root.id}`, {
      token,
      body: { name: 'Demoted' },
    });
    const del = await api.request('DELETE', `/api/v1/users/${root.id}`, { token });
    const reset = await api.request('POST', `/api/v1/users/${root.id}/reset-password`, { token, body: {} });
    expect([patch.status, del.status, reset.status]).toEqual([403, 403, 403]);
    await login(api, root);
    const agent = await seedUser(api, tenant.id, ['agent']);
    const promote = await api.request('PATCH', `/api/v1/users/${agent.id}`, {
      token,
      body: { roles: ['platform_admin'] },
    });
    expect(promote.status).toBe(422);
    expect(promote.body.errors).toEqual({ roles: ['You may not grant the role platform_admin.'] });
    const denied = await auditRows({ target_id: root.id, result: 'denied' });
    expect(denied.map((r) => r.action).sort()).toEqual([
      'user.deactivated',
      'user.password_reset',
      'user.updated',
    ]);
  });

  it("a role change ends the user's sessions at once; a rename does not", async () => {
    const target = await seedUser(api, tenant.id, ['supervisor']);
    const session = await login(api, target);
    expect(await me(session.access)).toBe(200);
    const rename = await api.request('PUT', `/api/v1/users/${target.id}`, {
      token,
      body: { name: 'Renamed' },
    });
    expect(rename.status).toBe(200);
    expect(rename.body.data).toMatchObject({ name: 'Renamed', roles: ['supervisor'] });
    expect(await me(session.access)).toBe(200);
    const demote = await api.request('PATCH', `/api/v1/users/${target.id}`, {
      token,
      body: { roles: ['agent'] },
    });
    expect(demote.status).toBe(200);
    expect(demote.body.data.roles).toEqual(['agent']);
    expect(await me(session.access)).toBe(401);
    const refresh = await api.request('POST', '/api/v1/auth/refresh', {
      body: { refresh_token: session.refresh },
    });
    expect(refresh.status).toBe(401);
    const fresh = await login(api, target);
    expect((await api.request('GET', '/api/v1/users', { token: fresh.access })).status).toBe(403);
    const [updated] = await auditRows({ action: 'user.updated', target_id: target.id });
    expect(updated.metadata).toEqual({
      fields: ['roles'],
      roles_added: ['agent'],
      roles_removed: ['supervisor'],
      sessions_revoked: 1,
    });
  });

  it("an email change ends the user's sessions, and a taken email is a 422", async () => {
    const target = await seedUser(api, tenant.id, ['agent']);
    const session = await login(api, target);
    const taken = await api.request('PATCH', `/api/v1/users/${target.id}`, {
      token,
      body: { email: admin.email },
    });
    expect(taken.status).toBe(422);
    expect(taken.body.errors).toEqual({ email: ['The email has already been taken.'] });
    expect(await me(session.access)).toBe(200);
    const newEmail = `moved-${randomUUID().slice(0, 8)}@example.test`;
    const res = await api.request('PATCH', `/api/v1/users/${target.id}`, {
      token,
      body: { email: newEmail.toUpperCase() },
    });
    expect(res.body.data.email).toBe(newEmail);
    expect(await me(session.access)).toBe(401);
    await login(api, { email: newEmail, password: target.password });
    const nulls = await api.request('PATCH', `/api/v1/users/${target.id}`, {
      token,
      body: { name: null, roles: [] },
    });
    expect(nulls.status).toBe(422);
    expect(Object.keys(nulls.body.errors).sort()).toEqual(['name', 'roles']);
  });

  it('deactivation: 204, sessions end, login fails, status shows; self-deactivation is a 422', async () => {
    const target = await seedUser(api, tenant.id, ['agent']);
    const session = await login(api, target);
    const res = await api.request('DELETE', `/api/v1/users/${target.id}`, { token });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(await me(session.access)).toBe(401);
    const attempt = await api.request('POST', '/api/v1/auth/login', {
      body: { email: target.email, password: target.password },
    });
    expect(attempt.status).toBe(422);
    const show = await api.request('GET', `/api/v1/users/${target.id}`, { token });
    expect(show.body.data.status).toBe('deactivated');
    const [row] = await auditRows({ action: 'user.deactivated', target_id: target.id });
    expect(row).toMatchObject({
      result: 'success',
      actorUserId: admin.id,
      metadata: { sessions_revoked: 1 },
    });
    const self = await api.request('DELETE', `/api/v1/users/${admin.id}`, { token });
    expect(self.status).toBe(422);
    expect(self.body).toEqual({
      message: 'You may not deactivate your own account.',
      errors: { id: ['You may not deactivate your own account.'] },
    });
  });

  it('reset-password: sets the given password, ends sessions, and the password is nowhere in responses or audit', async () => {
    const target = await seedUser(api, tenant.id, ['agent']);
    const session = await login(api, target);
    const secret = `Rst-${randomUUID()}`;
    const res = await api.request('POST', `/api/v1/users/${target.id}/reset-password`, {
      token,
      body: { password: secret },
    });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['data']);
    expect(res.text).not.toContain(secret);
    expect(await me(session.access)).toBe(401);
    const old = await api.request('POST', '/api/v1/auth/login', {
      body: { email: target.email, password: target.password },
    });
    expect(old.status).toBe(422);
    await login(api, { email: target.email, password: secret });

    const gen = await api.request('POST', `/api/v1/users/${target.id}/reset-password`, { token });
    expect(gen.status).toBe(200);
    const generated: string = gen.body.meta.generated_password;
    await login(api, { email: target.email, password: generated });
    const rows = await auditRows({ action: 'user.password_reset', target_id: target.id });
    expect(rows.map((r) => r.metadata)).toEqual([
      { password_generated: true, sessions_revoked: 1 },
      { password_generated: false, sessions_revoked: 1 },
    ]);
    const everything = JSON.stringify(await auditRows({}));
    for (const pw of [secret, generated]) expect(everything).not.toContain(pw);
    const apiView = await api.request('GET', '/api/v1/audit-log?per_page=100', { token });
    for (const pw of [secret, generated]) expect(apiView.text).not.toContain(pw);

    const short = await api.request('POST', `/api/v1/users/${target.id}/reset-password`, {
      token,
      body: { password: 'too short' },
    });
    expect(short.status).toBe(422);
    expect(short.body.errors).toEqual({ password: ['The password field must be at least 12 characters.'] });
  });
});
