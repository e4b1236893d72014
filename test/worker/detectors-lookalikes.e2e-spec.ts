import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createLogger, createRedis, PolicyCounterKeys, QUEUES, type CallEventJob } from '../../libs/common/src';
import { FRAUD_KINDS } from '../../libs/fraud/src';
import { MIN, MONDAY_10, ordinaryWeek } from '../../libs/fraud/src/testing/events';
import { loadWorkerConfig } from '../../apps/worker/src/config/worker-config';
import { FraudKeys } from '../../apps/worker/src/scoring/fraud-state.store';
import { RunningWorker, startWorker } from '../../apps/worker/src/worker';
import { createTenant, dropTenant } from '../sip/helpers/accounts';
import { openDb } from '../sip/helpers/pbx-harness';
import { eventually } from './fraud-helpers';
import { NIGHT_SHIFT, PAIRS, type Ids, type Scenario } from './lookalike-scenarios';

const DAY = 24 * 60 * MIN;

interface AlertRow {
  kind: string;
  device_id: string | null;
  severity: string;
  title: string;
  last_seen_at: Date;
  details: Record<string, unknown>;
}

/**
 * Every detector through the real worker: call events on the call-events queue, the tenant's policy
 * read from Postgres, state in Redis, alerts written to Postgres by the default responder. One tenant
 * suffers every attack; another carries the legitimate traffic most like each attack, with the same
 * history and the same policy, and must raise no alert at all.
 */
describe('fraud detectors on real Redis and Postgres: each attack fires, its look-alike stays quiet', () => {
  const prefix = `pbx-test:bull-${randomUUID().slice(0, 8)}`;
  const run = randomUUID().slice(0, 8);
  let db: DataSource;
  let redis: Redis;
  let queue: Queue;
  let worker: RunningWorker;
  const tenants: Record<'attacked' | 'legitimate' | 'nightShift', { id: string; ids: Ids }> = {} as never;
  let published = 0;

  /** A tenant holding the scenarios' devices, in London, with a daily spend cap of 200. */
  async function tenantFor(scenarios: Scenario[]): Promise<{ id: string; ids: Ids }> {
    const names = scenarios.flatMap((s) => [...s.devices, ...(s.fresh ?? [])]);
    const t = await createTenant(
      db,
      names.map((username) => ({ username })),
    );
    await db.query(`UPDATE tenants SET default_country = 'GB', timezone = 'Europe/London' WHERE id = $1`, [t.id]);
    await db.query(`INSERT INTO fraud_policies (tenant_id, daily_cap) VALUES ($1, 200)`, [t.id]);
    return { id: t.id, ids: Object.fromEntries(t.devices.map((d) => [d.username, d.id])) };
  }

  /** A week of ordinary calls for the devices that have history, then the scenarios, as this tenant's events. */
  function eventsOf(tenant: { id: string; ids: Ids }, scenarios: Scenario[]): CallEventJob[] {
    const withHistory = scenarios.flatMap((s) => s.devices).map((n) => tenant.ids[n]);
    const jobs = [...ordinaryWeek(withHistory), ...scenarios.flatMap((s) => s.build(tenant.ids))];
    return jobs.map((j) => ({ ...j, tenantId: tenant.id, eventId: `${run}:${j.eventId}`, callId: j.callId ? `${run}:${j.callId}` : undefined }));
  }

  const alertsOf = (tenantId: string): Promise<AlertRow[]> =>
    db.query(`SELECT kind, device_id, severity, title, details, last_seen_at FROM alerts WHERE tenant_id = $1 ORDER BY created_at`, [tenantId]);

  beforeAll(async () => {
    db = await openDb();
    redis = createRedis(process.env.REDIS_URL as string, 'fraud-lookalikes-test');
    tenants.attacked = await tenantFor(PAIRS.map((p) => p.attack));
    tenants.legitimate = await tenantFor(PAIRS.map((p) => p.lookalike));
    tenants.nightShift = await tenantFor([NIGHT_SHIFT]);
    // The default sink is the responder (alerts in Postgres, then the playbook): nothing here chooses it.
    worker = await startWorker(
      loadWorkerConfig({ ...process.env, QUEUE_PREFIX: prefix, WORKER_OPS_PORT: '0', AUDIT_HMAC_KEY: 'l'.repeat(40), MAINTENANCE_ENABLED: 'false' }),
      createLogger('worker-test', process.env.TEST_LOG_LEVEL ?? 'silent'),
    );
    queue = new Queue(QUEUES.callEvents, { connection: redis, prefix });

    const jobs = [
      ...eventsOf(tenants.attacked, PAIRS.map((p) => p.attack)),
      ...eventsOf(tenants.legitimate, PAIRS.map((p) => p.lookalike)),
      ...eventsOf(tenants.nightShift, [NIGHT_SHIFT]),
    ].sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
    // As the SIP app publishes them: job id = event id, retried with backoff.
    for (let i = 0; i < jobs.length; i += 500) {
      await queue.addBulk(
        jobs.slice(i, i + 500).map((j) => ({
          name: j.type,
          data: j,
          opts: { jobId: j.eventId.replace(/:/g, '_'), attempts: 3, backoff: { type: 'exponential', delay: 1000 } },
        })),
      );
    }
    published = jobs.length;
    // Alerts are written inside each event's job: once no job is left to run, they are all in Postgres.
    await eventually(
      async () => {
        const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        return Object.values(c).every((n) => n === 0);
      },
      'the worker to settle every event',
      60_000,
    );
  }, 120_000);

  afterAll(async () => {
    await worker?.close();
    await queue?.obliterate({ force: true });
    await queue?.close();
    for (const t of Object.values(tenants)) {
      const keys = await redis.keys(FraudKeys.tenantPattern(t.id));
      if (keys.length) await redis.del(...keys);
      await redis.del(PolicyCounterKeys.shortInbound(t.id));
      await db.query(`DELETE FROM alerts WHERE tenant_id = $1`, [t.id]);
      await db.query(`DELETE FROM fraud_policies WHERE tenant_id = $1`, [t.id]);
      await dropTenant(db, t.id);
    }
    await redis.quit();
    await db.destroy();
  });

  it('settles every event, none failed', async () => {
    expect(published).toBeGreaterThan(10_000);
    expect(await queue.getJobCounts('failed')).toEqual({ failed: 0 });
  });

  it.each(PAIRS.map((p) => [p.name, p] as const))('fires on the attack: %s', async (_name, pair) => {
    const alerts = await alertsOf(tenants.attacked.id);
    const device = pair.attack.devices[0] ? tenants.attacked.ids[pair.attack.devices[0]] : null;
    const mine = new Set(alerts.filter((a) => a.device_id === device).map((a) => a.kind));
    for (const kind of pair.fires) expect(mine).toContain(`fraud.${kind}`);
  });

  it('raises every kind of alert on the attacked tenant, from the policy it keeps in Postgres', async () => {
    const alerts = await alertsOf(tenants.attacked.id);
    expect(new Set(alerts.map((a) => a.kind))).toEqual(new Set(FRAUD_KINDS.map((k) => `fraud.${k}`)));
    // The spend threshold is a tenth of the daily cap stored in fraud_policies (200), not a default.
    const spend = alerts.find((a) => a.kind === 'fraud.spend-velocity' && a.device_id === tenants.attacked.ids.spender);
    expect(spend?.details).toMatchObject({ threshold: 20 });
    // The wangiri callers reached the policy's callback guard.
    expect(await redis.zscore(PolicyCounterKeys.shortInbound(tenants.attacked.id), '+88216710000')).not.toBeNull();
  });

  it('raises no alert on the legitimate look-alikes, with the same history and policy', async () => {
    const alerts = await alertsOf(tenants.legitimate.id);
    // While they were learning, two agents' first-ever calls to Jamaica were news, days before.
    const { jamaicaDesk, habit } = tenants.legitimate.ids;
    const learning = alerts.filter((a) => a.last_seen_at.getTime() < MONDAY_10 - DAY);
    expect(learning.map((a) => [a.kind, a.device_id, a.details.country]).sort()).toEqual(
      [jamaicaDesk, habit].map((d) => ['fraud.new-destination', d, 'JM']).sort(),
    );
    // Nothing from the look-alikes themselves (an alert they repeated would have moved its last_seen_at).
    expect(alerts.filter((a) => !learning.includes(a)).map((a) => `${a.kind} ${a.title}`)).toEqual([]);
  });

  it('does not flag a centre that works around the clock for an international call at 3 a.m.', async () => {
    expect((await alertsOf(tenants.nightShift.id)).map((a) => `${a.kind} ${a.title}`)).toEqual([]);
  });
});
