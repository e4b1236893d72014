import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createLogger, createRedis, FRAUD_QUEUES, localDay, PolicyCounterKeys } from '../../libs/common/src';
import { loadWorkerConfig } from '../../apps/worker/src/config/worker-config';
import { MaintenanceProcessor } from '../../apps/worker/src/fraud/maintenance.processor';
import { RunningWorker, startWorker } from '../../apps/worker/src/worker';
import { createTenant, dropTenant, type TestTenant } from '../sip/helpers/accounts';
import { openDb } from '../sip/helpers/pbx-harness';

describe('worker: scheduled maintenance jobs', () => {
  const prefix = `pbx-test:bull-${randomUUID().slice(0, 8)}`;
  let db: DataSource;
  let redis: Redis;
  let worker: RunningWorker;
  let jobs: MaintenanceProcessor;
  let tenant: TestTenant;
  const tz = 'Pacific/Kiritimati';

  beforeAll(async () => {
    db = await openDb();
    redis = createRedis(process.env.REDIS_URL as string, 'maintenance-test');
    tenant = await createTenant(db, [{ username: 'roller' }]);
    await db.query(`UPDATE tenants SET timezone = $2 WHERE id = $1`, [tenant.id, tz]);
    worker = await startWorker(
      loadWorkerConfig({ ...process.env, QUEUE_PREFIX: prefix, WORKER_OPS_PORT: '0', AUDIT_HMAC_KEY: 'm'.repeat(40), FRAUD_ALERT_WINDOW_SECONDS: '3600' }),
      createLogger('worker-test', process.env.TEST_LOG_LEVEL ?? 'silent'),
    );
    jobs = worker.app.get(MaintenanceProcessor);
  });

  afterAll(async () => {
    await worker.close();
    const q = new Queue(FRAUD_QUEUES.maintenance, { connection: redis, prefix });
    await q.obliterate({ force: true });
    await q.close();
    await db.query(`DELETE FROM alerts WHERE tenant_id = $1`, [tenant.id]);
    await db.query(`DELETE FROM cdrs WHERE tenant_id = $1`, [tenant.id]);
    await dropTenant(db, tenant.id);
    await redis.quit();
    await db.destroy();
  });

  it('registers one job scheduler per maintenance job, on its cron pattern', async () => {
    const q = new Queue(FRAUD_QUEUES.maintenance, { connection: redis, prefix });
    const schedulers = await q.getJobSchedulers();
    await q.close();
    expect(schedulers.map((s) => `${s.key} ${s.pattern}`).sort()).toEqual([
      'expire-refresh-tokens 7 * * * *',
      'expire-stale-alerts */10 * * * *',
      'spend-rollup */5 * * * *',
    ]);
  });

  it("rolls the CDRs' spend up per tenant-local day and month, and raises the counters the caps read, never lowering them", async () => {
    const now = new Date();
    const cdr = (cost: number, endedAt: Date) =>
      db.query(
        `INSERT INTO cdrs (tenant_id, call_id, direction, from_number, to_number, started_at, ended_at, disposition, cost)
         VALUES ($1, $2, 'outbound', '1001', '+442079460000', $3, $3, 'answered', $4)`,
        [tenant.id, randomUUID(), endedAt, cost],
      );
    await cdr(1.25, now);
    await cdr(2.5, now);
    await cdr(0, now);
    const day = localDay(now.getTime(), tz);
    const dayKey = PolicyCounterKeys.spendDay(tenant.id, day);
    const monthKey = PolicyCounterKeys.spendMonth(tenant.id, day.slice(0, 7));
    await redis.del(dayKey);
    await redis.set(monthKey, '100');

    expect(await jobs.run('spend-rollup', now)).toMatchObject({ counters_raised: 1 });
    expect(Number(await redis.get(dayKey))).toBe(3.75);
    expect(await redis.ttl(dayKey)).toBeGreaterThan(86_400);
    expect(await redis.get(monthKey)).toBe('100');
    const rows = (await db.query(`SELECT period, to_char(period_start, 'YYYY-MM-DD') AS start, amount::float AS amount, calls FROM spend_rollups WHERE tenant_id = $1 ORDER BY period`, [tenant.id])) as Array<{
      period: string;
      start: string;
      amount: number;
      calls: number;
    }>;
    expect(rows).toEqual([
      { period: 'day', start: day, amount: 3.75, calls: 2 },
      { period: 'month', start: `${day.slice(0, 7)}-01`, amount: 3.75, calls: 2 },
    ]);

    // Idempotent: again, with one more call, gives the new totals and counts nothing twice.
    await cdr(1, now);
    await jobs.run('spend-rollup', now);
    await jobs.run('spend-rollup', now);
    expect(Number(await redis.get(dayKey))).toBe(4.75);
    const [day2] = (await db.query(`SELECT amount::float AS amount, calls FROM spend_rollups WHERE tenant_id = $1 AND period = 'day'`, [tenant.id])) as Array<{ amount: number; calls: number }>;
    expect(day2).toEqual({ amount: 4.75, calls: 3 });
  });

  it('resolves fraud alerts no finding repeated within the window, and only those', async () => {
    const insert = (key: string, lastSeen: Date) =>
      db.query(
        `INSERT INTO alerts (tenant_id, kind, severity, title, dedupe_key, last_seen_at) VALUES ($1, 'fraud.wangiri', 'warning', 't', $2, $3) RETURNING id`,
        [tenant.id, key, lastSeen],
      ) as Promise<Array<{ id: string }>>;
    const [[stale], [fresh]] = [await insert('stale', new Date(Date.now() - 2 * 3600_000)), await insert('fresh', new Date())];
    expect((await jobs.run('expire-stale-alerts')).resolved).toBeGreaterThanOrEqual(1);
    const status = async (id: string) => ((await db.query(`SELECT status FROM alerts WHERE id = $1`, [id])) as Array<{ status: string }>)[0].status;
    expect(await status(stale.id)).toBe('resolved');
    expect(await status(fresh.id)).toBe('open');
  });

  it('deletes refresh tokens expired more than a week ago', async () => {
    const [user] = (await db.query(
      `INSERT INTO users (tenant_id, email, name, password_hash) VALUES ($1, $2, 'U', 'x') RETURNING id`,
      [tenant.id, `${randomUUID()}@example.test`],
    )) as Array<{ id: string }>;
    const token = (expiresAt: Date) =>
      db.query(`INSERT INTO refresh_tokens (user_id, tenant_id, family_id, token_hash, expires_at) VALUES ($1, $2, $3, $4, $5)`, [
        user.id,
        tenant.id,
        randomUUID(),
        randomUUID(),
        expiresAt,
      ]);
    await token(new Date(Date.now() - 8 * 86_400_000));
    await token(new Date(Date.now() - 86_400_000));
    await token(new Date(Date.now() + 86_400_000));
    await jobs.run('expire-refresh-tokens');
    const left = (await db.query(`SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = $1`, [user.id])) as Array<{ n: number }>;
    expect(left[0].n).toBe(2);
  });
});
