import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { login, seedTenant, seedUser, SeededUser, startApi, TestApi } from './harness';

const run = promisify(execFile);

/** The bash block of the README's first-steps section, exactly as a reader copies it. */
function firstSteps(): string {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const section = readme.split('## First steps with curl')[1]?.split('\n## ')[0] ?? '';
  const block = /```bash\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README has no bash block under "First steps with curl"');
  return block[1];
}

/** The README creates "acme" and admin@acme.example; a previous run's are removed so the steps run as written. */
async function forgetAcme(ds: DataSource): Promise<void> {
  const rows: Array<{ id: string }> = await ds.query(`SELECT id FROM tenants WHERE slug = 'acme'`);
  for (const { id } of rows) {
    await ds.query(`DELETE FROM devices WHERE tenant_id = $1`, [id]);
    await ds.query(`DELETE FROM users WHERE tenant_id = $1`, [id]);
    await ds.query(`DELETE FROM tenants WHERE id = $1`, [id]);
  }
}

describe('onboarding a tenant', () => {
  let api: TestApi;
  let ds: DataSource;
  let platformAdmin: SeededUser;
  let token: string;

  beforeAll(async () => {
    api = await startApi();
    ds = api.app.get(DataSource);
    const platform = await seedTenant(api, 'Onboarding platform');
    platformAdmin = await seedUser(api, platform.id, ['platform_admin']);
    token = (await login(api, platformAdmin)).access;
    await forgetAcme(ds);
  });
  afterAll(async () => {
    await forgetAcme(ds);
    await api.close();
  });

  it("follow the README's first steps to a second tenant whose own admin creates a device", async () => {
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', firstSteps()], {
      env: {
        PATH: process.env.PATH ?? '',
        API: api.baseUrl,
        SEED_ADMIN_EMAIL: platformAdmin.email,
        SEED_ADMIN_PASSWORD: platformAdmin.password,
      },
    });
    const device = JSON.parse(stdout) as { sip_username: string; sip_password: string; realm: string };
    expect(device).toEqual({ sip_username: expect.stringMatching(/^d[a-z2-7]{10}$/), sip_password: expect.any(String), realm: 'acme' });
    expect(device.sip_password).toHaveLength(32);

    const [acme] = await ds.query(`SELECT id FROM tenants WHERE slug = 'acme'`);
    const admin = await ds.query(
      `SELECT u.tenant_id, array_agg(r.role_key) AS roles FROM users u JOIN user_roles r ON r.user_id = u.id WHERE u.email = 'admin@acme.example' GROUP BY u.tenant_id`,
    );
    expect(admin).toEqual([{ tenant_id: acme.id, roles: ['tenant_admin'] }]);
    const devices = await ds.query(`SELECT sip_username FROM devices WHERE tenant_id = $1`, [acme.id]);
    expect(devices).toEqual([{ sip_username: device.sip_username }]);
  });

  it('create the tenant and its admin together, or neither, and validate the admin', async () => {
    const slug = `onb-${Date.now()}`;
    const bad = await api.request('POST', '/api/v1/tenants', {
      token,
      body: { name: 'Bad', slug, admin: { email: 'not-an-email', name: '' } },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual({
      'admin.email': ['The email field must be a valid email address.'],
      'admin.name': ['The name field is required.'],
    });
    const taken = await api.request('POST', '/api/v1/tenants', {
      token,
      body: { name: 'Taken', slug, admin: { email: platformAdmin.email, name: 'Copy' } },
    });
    expect(taken.status).toBe(422);
    expect(taken.body.errors).toEqual({ 'admin.email': ['The email has already been taken.'] });
    expect(await ds.query(`SELECT id FROM tenants WHERE slug = $1`, [slug])).toEqual([]);

    const created = await api.request('POST', '/api/v1/tenants', {
      token,
      body: { name: 'Fine', slug, admin: { email: `${slug}@example.test`, name: 'Fine Admin' } },
    });
    expect(created.status).toBe(201);
    expect(created.body.meta).toEqual({
      admin: { id: expect.any(String), email: `${slug}@example.test` },
      admin_password: expect.any(String),
    });
    const audit = JSON.stringify(await ds.query(`SELECT * FROM audit_log WHERE tenant_id = $1`, [created.body.data.id]));
    expect(audit).toContain('user.created');
    expect(audit).not.toContain(created.body.meta.admin_password);
    const own = await login(api, { email: `${slug}@example.test`, password: created.body.meta.admin_password });
    const visible = await api.request('GET', '/api/v1/tenants', { token: own.access });
    expect(visible.body.data.map((t: { slug: string }) => t.slug)).toEqual([slug]);
  });
});
