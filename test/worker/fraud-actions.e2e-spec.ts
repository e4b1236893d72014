import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { createLogger, createRedis, parseSipCommand, RedisChannels } from '../../libs/common/src';
import { loadWorkerConfig } from '../../apps/worker/src/config/worker-config';
import { FindingResponder } from '../../apps/worker/src/fraud/finding-responder.service';
import { RunningWorker, startWorker } from '../../apps/worker/src/worker';
import { login, seedUser, startApi, type TestApi } from '../api/harness';
import { createTenant, dropTenant, type TestTenant } from '../sip/helpers/accounts';
import { openDb, startPbx, TEST_AUDIT_KEY, type PbxUnderTest } from '../sip/helpers/pbx-harness';
import { Phone } from '../sip/helpers/phone';
import { RegisterClient } from '../sip/helpers/register-client';
import { ruleOf } from '../sip/helpers/sip-message';
import { actionsOf, auditOf, eventually, finding } from './fraud-helpers';

/**
 * The playbook's actions on the real stack: the SIP registrar (old password refused), the API
 * (refresh tokens, undo), the worker (alerts, actions, audit), Postgres and Redis.
 */
describe('fraud response: alerts, playbook actions, audit and undo', () => {
  let db: DataSource;
  let redis: Redis;
  let sub: Redis;
  let api: TestApi;
  let pbx: PbxUnderTest;
  let worker: RunningWorker;
  let responder: FindingResponder;
  let tenant: TestTenant;
  let adminToken: string;
  const commands: string[] = [];
  const clients: RegisterClient[] = [];
  const phones: Phone[] = [];
  /** A phone of device i with the password it had at the start, registered. */
  const phone = async (i: number): Promise<Phone> => {
    const d = tenant.devices[i];
    const p = await Phone.open({ host: pbx.host, port: pbx.port('udp') }, { username: d.username, password: d.password, realm: tenant.realm });
    phones.push(p);
    return p;
  };
  const prefix = `pbx-test:bull-${Math.random().toString(36).slice(2, 10)}`;

  /** REGISTER with the password the device had at the start: the final status line. */
  const registerStatus = async (i: number): Promise<string> => {
    const c = await RegisterClient.open({ host: pbx.host, port: pbx.port('udp') });
    clients.push(c);
    const d = tenant.devices[i];
    const final = (await c.login({ username: d.username, password: d.password, realm: tenant.realm })).final;
    return final ? `${final.status} ${final.reason}` : 'no answer';
  };
  const device = async (i: number) =>
    ((await db.query(`SELECT status, lock_level FROM devices WHERE id = $1`, [tenant.devices[i].id])) as Array<{ status: string; lock_level: number }>)[0];

  beforeAll(async () => {
    db = await openDb();
    redis = createRedis(process.env.REDIS_URL as string, 'fraud-test');
    sub = createRedis(process.env.REDIS_URL as string, 'fraud-test-sub');
    await sub.subscribe(RedisChannels.sipCommands);
    sub.on('message', (_ch, msg: string) => commands.push(msg));
    tenant = await createTenant(db, [{ username: 'victim' }, { username: 'bystander' }, { username: 'quiet' }, { username: 'walker' }]);
    api = await startApi({ AUDIT_HMAC_KEY: TEST_AUDIT_KEY });
    pbx = await startPbx({ contacts: ['sip:127.0.0.1:0;transport=udp'] });
    worker = await startWorker(
      loadWorkerConfig({
        ...process.env,
        QUEUE_PREFIX: prefix,
        WORKER_OPS_PORT: '0',
        AUDIT_HMAC_KEY: TEST_AUDIT_KEY,
        SECRETS_KEKS: api.config.SECRETS_KEKS,
        REDIS_KEY_PREFIX: api.config.REDIS_KEY_PREFIX,
        MAINTENANCE_ENABLED: 'false',
      }),
      createLogger('worker-test', process.env.TEST_LOG_LEVEL ?? 'silent'),
    );
    responder = worker.app.get(FindingResponder);
    const admin = await seedUser(api, tenant.id, ['tenant_admin']);
    adminToken = (await login(api, admin)).access;
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    for (const p of phones) p.close();
    await worker?.close();
    await pbx?.close();
    await api?.close();
    await sub.quit();
    await redis.quit();
    await db.query(`DELETE FROM alerts WHERE tenant_id = $1`, [tenant.id]);
    await db.query(`DELETE FROM refresh_tokens WHERE tenant_id = $1`, [tenant.id]);
    await dropTenant(db, tenant.id);
    await db.destroy();
  });

  it('makes one alert of a finding and its repeats; a retried event counts once; a higher severity escalates', async () => {
    const first = finding(tenant.id, tenant.devices[2].id, { severity: 'info', kind: 'many-destinations', dedupeKey: `many-destinations:${tenant.devices[2].id}` });
    await responder.accept([first]);
    await responder.accept([{ ...first, eventId: 'evt-2', evidence: { destinations: 31 } }]);
    await responder.accept([{ ...first, eventId: 'evt-2', evidence: { destinations: 31 } }]);
    await responder.accept([{ ...first, eventId: 'evt-3', severity: 'warning', title: 'now 60 destinations' }]);
    const rows = (await db.query(`SELECT * FROM alerts WHERE tenant_id = $1 AND dedupe_key = $2`, [tenant.id, first.dedupeKey])) as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: 'fraud.many-destinations', severity: 'warning', status: 'open', occurrences: 3, title: 'now 60 destinations' });
    expect(rows[0].details).toMatchObject({ destinations: 31 });

    const res = await api.request('GET', `/api/v1/alerts/${rows[0].id as string}`, { token: adminToken });
    expect(res.body.data).toMatchObject({ dedupe_key: first.dedupeKey, occurrences: 3, severity: 'warning' });
    // The warning's default action (raise-lock) ran once; no webhook, so no notify.
    await eventually(async () => (await actionsOf(db, rows[0].id as string)).length === 1, 'the warning action');
    expect((await actionsOf(db, rows[0].id as string)).map((a) => a.kind)).toEqual(['raise-lock']);
    expect(await device(2)).toEqual({ status: 'locked', lock_level: 1 });

    // Resolved, the key is free again: the next finding opens a second alert.
    expect((await api.request('POST', `/api/v1/alerts/${rows[0].id as string}/resolve`, { token: adminToken })).status).toBe(200);
    await responder.accept([{ ...first, eventId: 'evt-4' }]);
    const after = (await db.query(`SELECT status FROM alerts WHERE tenant_id = $1 AND dedupe_key = $2 ORDER BY created_at`, [tenant.id, first.dedupeKey])) as Array<{ status: string }>;
    expect(after.map((a) => a.status)).toEqual(['resolved', 'open']);
  });

  it('locks a device walking a domestic number range to internal calls: level 1 (no international) would not stop it', async () => {
    // A US tenant: a US number, allowed before (no route, 404) and refused by the lock after, on the SIP path.
    const walker = await phone(3);
    const domestic = '+12125550147';
    const before = await walker.call(domestic);
    expect(before.final?.status).toBe(404); // allowed by the policy; no trunk in this test to take it

    const walk = finding(tenant.id, tenant.devices[3].id, {
      kind: 'sequential-dialling',
      severity: 'warning',
      dedupeKey: `sequential-dialling:${tenant.devices[3].id}`,
      title: 'neighbouring numbers under +1212555 dialled within 10 s',
      evidence: { run: 2, range: '+1212555xxxx', diallerPace: true, lockToStop: 2 },
    });
    await responder.accept([walk]);
    const [alert] = (await db.query(`SELECT id FROM alerts WHERE tenant_id = $1 AND dedupe_key = $2`, [tenant.id, walk.dedupeKey])) as Array<{ id: string }>;
    await eventually(async () => (await actionsOf(db, alert.id)).length === 1, 'the warning action');
    expect(await device(3)).toEqual({ status: 'locked', lock_level: 2 });
    const [action] = (await db.query(`SELECT details FROM fraud_actions WHERE alert_id = $1`, [alert.id])) as Array<{ details: Record<string, unknown> }>;
    expect(action.details).toMatchObject({ scope: 'device', previous_lock_level: 0, lock_level: 2 });

    const after = await eventually(async () => {
      const c = await walker.call(domestic);
      return ruleOf(c.final?.header('Warning')) === 'lock-level:2' ? c : null;
    }, 'the lock to reach the SIP app');
    expect(after.final?.status).toBe(403);
    // Locked, not disabled: it still registers (and so still takes and makes internal calls).
    expect(await registerStatus(3)).toBe('200 OK');
  });

  it("runs the critical playbook: lock, suspension, hang-up, new credentials, the owner's sessions revoked; each audited", async () => {
    const owner = await seedUser(api, tenant.id, ['agent']);
    await db.query(`UPDATE extensions SET user_id = $1 WHERE id = $2`, [owner.id, tenant.devices[0].extensionId]);
    const session = await login(api, owner);
    expect((await api.request('GET', '/api/v1/auth/me', { token: session.access })).status).toBe(200);
    expect(await registerStatus(0)).toBe('200 OK');

    // A live call of the victim (1001) to the bystander (1002), which the playbook must end.
    const victim = await phone(0);
    const callee = await phone(1);
    expect(await callee.register()).toBe(200);
    expect(await victim.register()).toBe(200);
    const live = await victim.call('1002');
    expect(live.final?.status).toBe(200);

    const f = finding(tenant.id, tenant.devices[0].id);
    await responder.accept([f]);
    await responder.accept([{ ...f, eventId: 'repeat' }]);
    const [alert] = (await db.query(`SELECT id, occurrences FROM alerts WHERE tenant_id = $1 AND dedupe_key = $2`, [tenant.id, f.dedupeKey])) as Array<{ id: string; occurrences: number }>;
    expect(alert.occurrences).toBe(2);

    const actions = await eventually(async () => {
      const a = await actionsOf(db, alert.id);
      return a.length === 5 ? a : null;
    }, 'five actions');
    expect(actions.map((a) => `${a.kind}:${a.outcome}`)).toEqual([
      'hangup-calls:done',
      'raise-lock:done',
      'revoke-sessions:done',
      'rotate-credentials:done',
      'suspend-device:done',
    ]);
    expect(await device(0)).toEqual({ status: 'suspended', lock_level: 1 });
    expect(await device(1)).toEqual({ status: 'active', lock_level: 0 });

    const hangup = await eventually(async () => commands.map(parseSipCommand).find((c) => c?.op === 'hangup-device' && c.deviceId === tenant.devices[0].id), 'hang-up command');
    expect(hangup).toMatchObject({ tenantId: tenant.id, requestedBy: `fraud:${alert.id}` });
    await victim.next((m) => m.method === 'BYE' && m.header('Call-ID') === live.callId, 'the BYE ending the live call', 5000);

    expect((await api.request('POST', '/api/v1/auth/refresh', { body: { refresh_token: session.refresh } })).status).toBe(401);
    expect((await api.request('GET', '/api/v1/auth/me', { token: session.access })).status).toBe(401);
    expect(await eventually(async () => ((await registerStatus(0)) === '403 Account disabled' ? 1 : 0), 'the suspension to reach the registrar')).toBe(1);
    expect(await registerStatus(1)).toBe('200 OK');

    const audit = await auditOf(db, tenant.id, alert.id);
    expect(audit.map((e) => e.action).sort()).toEqual(
      ['hangup-calls', 'raise-lock', 'revoke-sessions', 'rotate-credentials', 'suspend-device'].map((k) => `fraud.action.${k}`),
    );
    for (const a of actions) expect(audit.find((e) => e.action === `fraud.action.${a.kind}`)?.action_id).toBe(a.id);
    const metrics = await (await fetch(`http://127.0.0.1:${worker.opsPort}/metrics`)).text();
    expect(metrics).toMatch(/worker_fraud_alerts_total\{kind="fraud.call-rate-spike",severity="critical",change="opened",app="worker"\} 1/);
    expect(metrics).toMatch(/worker_fraud_alerts_total\{kind="fraud.call-rate-spike",severity="critical",change="repeated",app="worker"\} 1/);
    expect(metrics).toMatch(/worker_fraud_actions_total\{action="suspend-device",outcome="done",app="worker"\} 1/);
    expect(metrics).toMatch(/worker_queue_lag_seconds_count\{app="worker",queue="fraud-actions"\} [1-9]/);

    const verify = await api.request('GET', '/api/v1/audit-log/verify', { token: adminToken });
    expect(verify.body.data ?? verify.body).toMatchObject({ valid: true });

    // Undo, step by step: each is audited and takes effect.
    const listed = await api.request('GET', `/api/v1/alerts/${alert.id}/actions`, { token: adminToken });
    expect(listed.status).toBe(200);
    const id = (kind: string) => (listed.body.data as Array<{ id: string; kind: string; undoable: boolean }>).find((a) => a.kind === kind)!;
    expect(id('hangup-calls').undoable).toBe(false);
    const undo = (kind: string) => api.request('POST', `/api/v1/alerts/${alert.id}/actions/${id(kind).id}/undo`, { token: adminToken });

    expect((await undo('hangup-calls')).status).toBe(422);
    expect((await undo('suspend-device')).status).toBe(200);
    expect(await device(0)).toEqual({ status: 'locked', lock_level: 1 });
    expect((await undo('raise-lock')).status).toBe(200);
    expect(await device(0)).toEqual({ status: 'active', lock_level: 0 });
    // In service again, but the old password still fails until the rotation is undone.
    // (the registrar answers a wrong digest with 403 Forbidden, a disabled account with 403 Account disabled)
    expect(await eventually(async () => ((await registerStatus(0)) === '403 Forbidden' ? 1 : 0), 'the old password refused by digest')).toBe(1);
    // Nor can it call with it: the INVITE's digest fails the same way.
    const attempt = await (await phone(0)).call('1002');
    expect(attempt.final?.status).toBe(403);
    expect((await undo('rotate-credentials')).status).toBe(200);
    expect(await eventually(async () => ((await registerStatus(0)) === '200 OK' ? 1 : 0), 'the old password working again')).toBe(1);
    const restored = await (await phone(0)).call('1002');
    expect(restored.final?.status).toBe(200);
    restored.hangUp();
    const again = await undo('rotate-credentials');
    expect(again.status).toBe(422);
    expect(again.body.errors.action[0]).toMatch(/only a done action/);
    expect((await undo('revoke-sessions')).status).toBe(200);
    expect((await api.request('GET', '/api/v1/auth/me', { token: session.access })).status).toBe(200);
    expect((await api.request('POST', '/api/v1/auth/refresh', { body: { refresh_token: session.refresh } })).status).toBe(200);

    const undone = await auditOf(db, tenant.id, alert.id);
    expect(undone.map((e) => e.action).filter((a) => a.endsWith('.undone')).sort()).toEqual([
      'fraud.action.raise-lock.undone',
      'fraud.action.revoke-sessions.undone',
      'fraud.action.rotate-credentials.undone',
      'fraud.action.suspend-device.undone',
    ]);
    // A repeat of the same alert does not redo what an admin undid.
    await responder.accept([{ ...f, eventId: 'after-undo' }]);
    await new Promise((r) => setTimeout(r, 300));
    expect(await device(0)).toEqual({ status: 'active', lock_level: 0 });
  });

  it('lets only an admin undo, and 404s an action of another alert', async () => {
    const supervisor = await seedUser(api, tenant.id, ['supervisor']);
    const token = (await login(api, supervisor)).access;
    const [row] = (await db.query(`SELECT id, alert_id FROM fraud_actions WHERE tenant_id = $1 LIMIT 1`, [tenant.id])) as Array<{ id: string; alert_id: string }>;
    expect((await api.request('GET', `/api/v1/alerts/${row.alert_id}/actions`, { token })).status).toBe(200);
    expect((await api.request('POST', `/api/v1/alerts/${row.alert_id}/actions/${row.id}/undo`, { token })).status).toBe(403);
    const other = '00000000-0000-4000-8000-000000000000';
    expect((await api.request('POST', `/api/v1/alerts/${other}/actions/${row.id}/undo`, { token: adminToken })).status).toBe(404);
  });
});
