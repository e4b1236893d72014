import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createLogger, createRedis, QUEUES } from '../../libs/common/src';
import { MIN, MONDAY_10, registration } from '../../libs/fraud/src/testing/events';
import { loadWorkerConfig } from '../../apps/worker/src/config/worker-config';
import { RunningWorker, startWorker } from '../../apps/worker/src/worker';
import { createTenant, dropTenant, type TestTenant } from '../sip/helpers/accounts';
import { openDb } from '../sip/helpers/pbx-harness';
import { eventually } from './fraud-helpers';

/** Detection and response as one pipeline: call events on the queue, an alert and the playbook's actions. */
describe('fraud pipeline: call-events → scorer → alert → playbook', () => {
  const prefix = `pbx-test:bull-${randomUUID().slice(0, 8)}`;
  let db: DataSource;
  let redis: Redis;
  let queue: Queue;
  let worker: RunningWorker;
  let tenant: TestTenant;

  beforeAll(async () => {
    db = await openDb();
    redis = createRedis(process.env.REDIS_URL as string, 'fraud-pipeline-test');
    tenant = await createTenant(db, [{ username: 'taken-over' }]);
    // The default sink is the responder: nothing here chooses it.
    worker = await startWorker(
      loadWorkerConfig({ ...process.env, QUEUE_PREFIX: prefix, WORKER_OPS_PORT: '0', AUDIT_HMAC_KEY: 'p'.repeat(40), MAINTENANCE_ENABLED: 'false' }),
      createLogger('worker-test', process.env.TEST_LOG_LEVEL ?? 'silent'),
    );
    queue = new Queue(QUEUES.callEvents, { connection: redis, prefix });
  });

  afterAll(async () => {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    await db.query(`DELETE FROM alerts WHERE tenant_id = $1`, [tenant.id]);
    await dropTenant(db, tenant.id);
    await redis.quit();
    await db.destroy();
  });

  it('turns a takeover seen on the call-events queue into one critical alert and contains the device', async () => {
    const device = tenant.devices[0].id;
    const events = [
      ...[3, 2, 1].map((d) => registration(MONDAY_10 - d * 86_400_000, 'GB', '81.2.69.160', device)),
      registration(MONDAY_10 + MIN, 'NG', '102.89.1.7', device),
      registration(MONDAY_10 + 2 * MIN, 'NG', '102.89.1.7', device),
    ].map((e) => ({ ...e, tenantId: tenant.id }));
    for (const e of events) await queue.add(e.type, e, { jobId: e.eventId.replace(/:/g, '_') });

    const alerts = await eventually(async () => {
      const rows = (await db.query(`SELECT id, kind, severity, device_id FROM alerts WHERE tenant_id = $1`, [tenant.id])) as Array<Record<string, string>>;
      return rows.length ? rows : null;
    }, 'an alert from the queue');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'fraud.account-takeover', severity: 'critical', device_id: device });
    // The default playbook's critical actions follow.
    await eventually(async () => {
      const [d] = (await db.query(`SELECT status, lock_level FROM devices WHERE id = $1`, [device])) as Array<{ status: string; lock_level: number }>;
      return d.status === 'suspended' && d.lock_level === 1;
    }, 'the device locked and suspended');
  });
});
