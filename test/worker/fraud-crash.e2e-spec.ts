import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { createRedis, FRAUD_QUEUES, fraudActionJobId, parseSipCommand, RedisChannels } from '../../libs/common/src';
import { AuditLogRepository } from '../../libs/database/src';
import { DEFAULT_PLAYBOOK } from '../../libs/fraud/src';
import { createTenant, dropTenant, type TestTenant } from '../sip/helpers/accounts';
import { openDb } from '../sip/helpers/pbx-harness';
import { eventually, sleep } from './fraud-helpers';

const DEVICES = 60;
const CONTAIN = DEFAULT_PLAYBOOK.actions.critical.filter((a) => a !== 'notify');
const AUDIT_KEY = 'crash-test-audit-key-of-at-least-32-chars';

/** The built worker, as production runs it (`npm run build` first). */
function spawnWorker(prefix: string): ChildProcess {
  return spawn(process.execPath, [join(__dirname, '../../dist/apps/worker/src/main.js')], {
    env: {
      ...process.env,
      QUEUE_PREFIX: prefix,
      AUDIT_HMAC_KEY: AUDIT_KEY,
      WORKER_OPS_PORT: '0',
      MAINTENANCE_ENABLED: 'false',
      FRAUD_JOB_LOCK_MS: '2000',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const exited = (p: ChildProcess) => new Promise<number | null>((r) => (p.exitCode !== null ? r(p.exitCode) : p.once('exit', (code) => r(code))));

describe('fraud worker: killed mid-job, loses and repeats nothing', () => {
  const prefix = `pbx-test:bull-${randomUUID().slice(0, 8)}`;
  let db: DataSource;
  let redis: Redis;
  let sub: Redis;
  let queue: Queue;
  let tenant: TestTenant;
  let alerts: string[] = [];
  const hangups = new Map<string, number>();
  const procs: ChildProcess[] = [];

  beforeAll(async () => {
    db = await openDb();
    redis = createRedis(process.env.REDIS_URL as string, 'crash-test');
    sub = createRedis(process.env.REDIS_URL as string, 'crash-test-sub');
    await sub.subscribe(RedisChannels.sipCommands);
    sub.on('message', (_c, raw: string) => {
      const cmd = parseSipCommand(raw);
      if (cmd?.op === 'hangup-device') hangups.set(cmd.deviceId, (hangups.get(cmd.deviceId) ?? 0) + 1);
    });
    queue = new Queue(FRAUD_QUEUES.actions, { connection: redis, prefix });
    tenant = await createTenant(db, Array.from({ length: DEVICES }, (_, i) => ({ username: `d${i}` })));
    for (const d of tenant.devices) {
      const [a] = (await db.query(
        `INSERT INTO alerts (tenant_id, device_id, kind, severity, title, dedupe_key, last_seen_at) VALUES ($1, $2, 'fraud.call-rate-spike', 'critical', 'burst', $3, now()) RETURNING id`,
        [tenant.id, d.id, `call-rate-spike:${d.id}`],
      )) as Array<{ id: string }>;
      alerts.push(a.id);
    }
  });

  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await queue.obliterate({ force: true });
    await queue.close();
    await db.query(`DELETE FROM alerts WHERE tenant_id = $1`, [tenant.id]);
    await dropTenant(db, tenant.id);
    await sub.quit();
    await redis.quit();
    await db.destroy();
    alerts = [];
  });

  it('finishes every action exactly once, each with one audit entry, after a SIGKILL and a restart', async () => {
    await queue.addBulk(
      alerts.map((alertId) => ({
        name: CONTAIN.join('+'),
        data: { tenantId: tenant.id, alertId, actions: CONTAIN },
        opts: { jobId: fraudActionJobId(alertId, CONTAIN), attempts: 5, backoff: { type: 'exponential', delay: 200 } },
      })),
    );
    const total = alerts.length * CONTAIN.length;
    const count = async () => ((await db.query(`SELECT count(*)::int AS n FROM fraud_actions WHERE tenant_id = $1`, [tenant.id])) as Array<{ n: number }>)[0].n;

    const first = spawnWorker(prefix);
    procs.push(first);
    await eventually(async () => (await count()) >= total / 4, 'a quarter of the actions', 30_000);
    first.kill('SIGKILL');
    await exited(first);
    const atKill = await count();
    expect(atKill).toBeLessThan(total);
    // Jobs the dead worker held stay active until their lock expires: they were cut mid-job.
    expect(await queue.getActiveCount()).toBeGreaterThan(0);

    // Nothing moves while no worker runs.
    await sleep(300);
    expect(await count()).toBe(atKill);

    const second = spawnWorker(prefix);
    procs.push(second);
    await eventually(async () => (await count()) === total && (await queue.getCompletedCount()) === alerts.length, 'every action after the restart', 60_000);

    const perAlert = (await db.query(
      `SELECT alert_id, count(*)::int AS n, bool_and(outcome IN ('done', 'skipped')) AS settled FROM fraud_actions WHERE tenant_id = $1 GROUP BY alert_id`,
      [tenant.id],
    )) as Array<{ alert_id: string; n: number; settled: boolean }>;
    expect(perAlert).toHaveLength(alerts.length);
    expect(perAlert.every((r) => r.n === CONTAIN.length && r.settled)).toBe(true);

    // One audit entry per action row, none twice, none without its row.
    const audit = (await db.query(
      `SELECT a.metadata->>'action_id' AS action_id, count(*)::int AS n, bool_or(f.id IS NULL) AS orphan
         FROM audit_log a LEFT JOIN fraud_actions f ON f.id::text = a.metadata->>'action_id'
        WHERE a.chain = $1 AND a.action LIKE 'fraud.action.%' GROUP BY 1`,
      [`tenant:${tenant.id}`],
    )) as Array<{ action_id: string; n: number; orphan: boolean }>;
    expect(audit).toHaveLength(total);
    expect(audit.filter((a) => a.n !== 1 || a.orphan)).toEqual([]);
    expect(await new AuditLogRepository(db).verify(AUDIT_KEY, tenant.id)).toEqual({ checked: total, firstBreak: null });

    const devices = (await db.query(`SELECT status, lock_level, count(*)::int AS n FROM devices WHERE tenant_id = $1 GROUP BY 1, 2`, [tenant.id])) as Array<{
      status: string;
      lock_level: number;
      n: number;
    }>;
    expect(devices).toEqual([{ status: 'suspended', lock_level: 1, n: DEVICES }]);
    // Every device's calls were ordered ended at least once (again, if the kill fell between commit and publish).
    await eventually(async () => hangups.size === DEVICES, 'a hang-up per device');

    second.kill('SIGTERM');
    expect(await exited(second)).toBe(0);
  }, 120_000);
});
