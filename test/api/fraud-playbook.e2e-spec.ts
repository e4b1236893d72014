import type { DataSource } from 'typeorm';
import { login, seedTenant, seedUser, startApi, type TestApi } from './harness';
import { openDb } from '../sip/helpers/pbx-harness';

describe('fraud playbook: /api/v1/fraud/playbook', () => {
  let api: TestApi;
  let db: DataSource;
  let tenant: { id: string };
  let admin: string;
  let supervisor: string;

  beforeAll(async () => {
    api = await startApi();
    db = await openDb();
    tenant = await seedTenant(api, 'Playbook');
    admin = (await login(api, await seedUser(api, tenant.id, ['tenant_admin']))).access;
    supervisor = (await login(api, await seedUser(api, tenant.id, ['supervisor']))).access;
  });

  afterAll(async () => {
    await api.close();
    await db.destroy();
  });

  const valid = {
    actions: { info: [], warning: ['notify'], critical: ['hangup-calls', 'notify', 'suspend-device'] },
    lock_level: 2,
    webhook_url: 'https://hooks.example.com/pbx',
  };

  it('shows the safe default until edited', async () => {
    const res = await api.request('GET', '/api/v1/fraud/playbook', { token: supervisor });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      actions: {
        info: ['notify'],
        warning: ['notify', 'raise-lock'],
        critical: ['notify', 'raise-lock', 'suspend-device', 'hangup-calls', 'rotate-credentials', 'revoke-sessions'],
      },
      lock_level: 1,
      webhook_url: null,
      webhook_secret_set: false,
      is_default: true,
      updated_at: null,
    });
  });

  it('replaces it, shows a first webhook secret once, keeps it across edits, and audits each change', async () => {
    const put = await api.request('PUT', '/api/v1/fraud/playbook', { token: admin, body: valid });
    expect(put.status).toBe(200);
    expect(put.body.data).toMatchObject({
      actions: { info: [], warning: ['notify'], critical: ['notify', 'suspend-device', 'hangup-calls'] },
      lock_level: 2,
      webhook_url: valid.webhook_url,
      webhook_secret_set: true,
      is_default: false,
    });
    expect(put.body.meta.webhook_secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const [row] = (await db.query(`SELECT webhook_secret_sealed FROM fraud_playbooks WHERE tenant_id = $1`, [tenant.id])) as Array<{ webhook_secret_sealed: string }>;
    expect(row.webhook_secret_sealed).not.toContain(put.body.meta.webhook_secret.slice(6));

    const again = await api.request('PUT', '/api/v1/fraud/playbook', { token: admin, body: { ...valid, lock_level: 3 } });
    expect(again.status).toBe(200);
    expect(again.body.meta).toBeUndefined();
    expect((await api.request('GET', '/api/v1/fraud/playbook', { token: admin })).body.data).toMatchObject({ lock_level: 3, webhook_secret_set: true });

    const rotated = await api.request('POST', '/api/v1/fraud/playbook/webhook-secret', { token: admin });
    expect(rotated.status).toBe(200);
    expect(rotated.body.meta.webhook_secret).not.toBe(put.body.meta.webhook_secret);

    const audit = (await db.query(`SELECT action, metadata FROM audit_log WHERE chain = $1 AND target_type = 'fraud_playbook' ORDER BY id`, [`tenant:${tenant.id}`])) as Array<{
      action: string;
      metadata: Record<string, unknown>;
    }>;
    expect(audit.map((a) => a.action)).toEqual(['fraud.playbook.updated', 'fraud.playbook.updated', 'fraud.playbook.webhook_secret_rotated']);
    expect(audit[0].metadata).toMatchObject({ webhook_secret_generated: true, lock_level: 2 });
    expect(JSON.stringify(audit)).not.toContain(put.body.meta.webhook_secret);
  });

  it('answers 422 naming each bad field, and changes nothing', async () => {
    const bad = await api.request('PUT', '/api/v1/fraud/playbook', {
      token: admin,
      body: { actions: { info: ['explode'], warning: 'notify', critical: ['notify', 'notify'] }, lock_level: 0, webhook_url: 'http://hooks.example.com/', surprise: true },
    });
    expect(bad.status).toBe(422);
    expect(Object.keys(bad.body.errors).sort()).toEqual(['actions.critical', 'actions.info', 'actions.warning', 'lock_level', 'surprise', 'webhook_url']);
    expect((await api.request('PUT', '/api/v1/fraud/playbook', { token: admin, body: {} })).body.errors).toEqual({
      actions: ['The actions field is required: an object with info, warning and critical lists.'],
    });
    expect((await api.request('GET', '/api/v1/fraud/playbook', { token: admin })).body.data.lock_level).toBe(3);
  });

  it('refuses the edit to anyone without policy.manage, and rotating a secret without a webhook', async () => {
    expect((await api.request('PUT', '/api/v1/fraud/playbook', { token: supervisor, body: valid })).status).toBe(403);
    expect((await api.request('DELETE', '/api/v1/fraud/playbook', { token: supervisor })).status).toBe(403);
    expect((await api.request('GET', '/api/v1/fraud/playbook')).status).toBe(401);
    await api.request('PUT', '/api/v1/fraud/playbook', { token: admin, body: { ...valid, webhook_url: null } });
    // The URL went, the secret stays sealed for when a URL comes back; rotating needs a URL.
    const rotate = await api.request('POST', '/api/v1/fraud/playbook/webhook-secret', { token: admin });
    expect(rotate.status).toBe(422);
    expect(rotate.body.errors.webhook_url).toBeDefined();
  });

  it('goes back to the default on DELETE', async () => {
    expect((await api.request('DELETE', '/api/v1/fraud/playbook', { token: admin })).status).toBe(204);
    expect((await api.request('GET', '/api/v1/fraud/playbook', { token: admin })).body.data.is_default).toBe(true);
  });
});
