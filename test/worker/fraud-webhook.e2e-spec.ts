import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { DataSource } from 'typeorm';
import { createLogger } from '../../libs/common/src';
import { verifyWebhook, WEBHOOK_HEADERS } from '../../libs/fraud/src';
import { loadWorkerConfig } from '../../apps/worker/src/config/worker-config';
import { FindingResponder } from '../../apps/worker/src/fraud/finding-responder.service';
import { RunningWorker, startWorker } from '../../apps/worker/src/worker';
import { login, seedTenant, seedUser, startApi, type TestApi } from '../api/harness';
import { openDb } from '../sip/helpers/pbx-harness';
import { actionsOf, auditOf, eventually, finding } from './fraud-helpers';

interface Delivery {
  at: number;
  headers: IncomingHttpHeaders;
  body: string;
}

describe('fraud webhook: signed, retried with backoff', () => {
  let api: TestApi;
  let db: DataSource;
  let worker: RunningWorker;
  let responder: FindingResponder;
  let server: Server;
  let port: number;
  const deliveries = new Map<string, Delivery[]>();
  /** Per path: how many requests answer 503 before one answers 204. */
  const failFirst = new Map<string, number>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const path = req.url ?? '/';
        const list = deliveries.get(path) ?? [];
        list.push({ at: Date.now(), headers: req.headers, body });
        deliveries.set(path, list);
        res.writeHead(list.length <= (failFirst.get(path) ?? 0) ? 503 : 204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
    api = await startApi();
    db = await openDb();
    worker = await startWorker(
      loadWorkerConfig({
        ...process.env,
        QUEUE_PREFIX: `pbx-test:bull-${Math.random().toString(36).slice(2, 10)}`,
        WORKER_OPS_PORT: '0',
        AUDIT_HMAC_KEY: api.config.AUDIT_HMAC_KEY,
        SECRETS_KEKS: api.config.SECRETS_KEKS,
        FRAUD_WEBHOOK_ATTEMPTS: '3',
        MAINTENANCE_ENABLED: 'false',
      }),
      createLogger('worker-test', process.env.TEST_LOG_LEVEL ?? 'silent'),
    );
    responder = worker.app.get(FindingResponder);
  });

  afterAll(async () => {
    await worker.close();
    await api.close();
    await db.destroy();
    await new Promise((r) => server.close(r));
  });

  /** A tenant whose playbook notifies `path` for every severity; returns it and the webhook secret. */
  const tenantWithHook = async (path: string) => {
    const tenant = await seedTenant(api, 'Webhook');
    const token = (await login(api, await seedUser(api, tenant.id, ['tenant_admin']))).access;
    const res = await api.request('PUT', '/api/v1/fraud/playbook', {
      token,
      body: { actions: { info: ['notify'], warning: ['notify'], critical: ['notify'] }, webhook_url: `http://127.0.0.1:${port}${path}` },
    });
    expect(res.status).toBe(200);
    return { tenant, secret: res.body.meta.webhook_secret as string };
  };

  it('signs every attempt over its timestamp and body, and retries a failing receiver with growing delays', async () => {
    failFirst.set('/flaky', 2);
    const { tenant, secret } = await tenantWithHook('/flaky');
    await responder.accept([finding(tenant.id, null, { severity: 'warning', kind: 'spend-velocity', dedupeKey: 'spend-velocity:tenant' })]);
    const [alert] = (await db.query(`SELECT id FROM alerts WHERE tenant_id = $1`, [tenant.id])) as Array<{ id: string }>;
    const done = await eventually(async () => (await actionsOf(db, alert.id)).find((a) => a.kind === 'notify'), 'notify settled', 15_000);
    expect(done.outcome).toBe('done');

    const sent = deliveries.get('/flaky')!;
    expect(sent).toHaveLength(3);
    for (const d of sent) {
      const headers = { timestamp: d.headers[WEBHOOK_HEADERS.timestamp] as string, signature: d.headers[WEBHOOK_HEADERS.signature] as string };
      expect(verifyWebhook(secret, headers, d.body)).toBe(true);
      expect(verifyWebhook(secret, headers, d.body.replace('spend-velocity', 'spend-velocitx'))).toBe(false);
      expect(JSON.parse(d.body).alert).toMatchObject({ id: alert.id, kind: 'fraud.spend-velocity', severity: 'warning', tenant_id: tenant.id });
    }
    expect(sent.map((d) => JSON.parse(d.body).attempt)).toEqual([1, 2, 3]);
    // Exponential backoff from 1 s: about 1 s, then about 2 s.
    expect(sent[1].at - sent[0].at).toBeGreaterThanOrEqual(900);
    expect(sent[2].at - sent[1].at).toBeGreaterThanOrEqual(1800);

    const audit = await auditOf(db, tenant.id, alert.id);
    expect(audit).toEqual([{ action: 'fraud.action.notify', action_id: done.id, target_id: alert.id }]);
  });

  it('records notify as failed, audited, once the attempts run out', async () => {
    failFirst.set('/down', 99);
    const { tenant } = await tenantWithHook('/down');
    await responder.accept([finding(tenant.id, null, { severity: 'info', kind: 'wangiri', dedupeKey: 'wangiri:tenant' })]);
    const [alert] = (await db.query(`SELECT id FROM alerts WHERE tenant_id = $1`, [tenant.id])) as Array<{ id: string }>;
    const failed = await eventually(async () => (await actionsOf(db, alert.id)).find((a) => a.kind === 'notify'), 'notify settled', 15_000);
    expect(failed.outcome).toBe('failed');
    expect(deliveries.get('/down')).toHaveLength(3);
    const [entry] = (await db.query(`SELECT result, metadata FROM audit_log WHERE chain = $1 AND action = 'fraud.action.notify'`, [`tenant:${tenant.id}`])) as Array<{
      result: string;
      metadata: Record<string, unknown>;
    }>;
    expect(entry).toMatchObject({ result: 'failure', metadata: { alert_id: alert.id, error: 'webhook answered 503', attempts: 3 } });
  });
});
