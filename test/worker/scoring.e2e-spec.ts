import { createRedis, PolicyCounterKeys, QUEUES, type CallEventJob } from '@pbx/common';
import { createDataSource } from '@pbx/database';
import { FRAUD_KINDS, type Finding, type FraudContext } from '@pbx/fraud';
import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { loadWorkerConfig } from '../../apps/worker/src/config/worker-config';
import { RECORDED_FINDINGS_KEY, type FindingSink, type RecordedFinding } from '../../apps/worker/src/scoring/finding-sink';
import { FraudKeys, FraudStateStore } from '../../apps/worker/src/scoring/fraud-state.store';
import { Scorer } from '../../apps/worker/src/scoring/scorer';
import { RunningWorker, startWorker } from '../../apps/worker/src/worker';
import { createLogger } from '@pbx/common';
import { call, DEVICE, MIN, MONDAY_10, ordinaryWeek, registration, testContext } from '../../libs/fraud/src/testing/events';

class ArraySink implements FindingSink {
  readonly findings: Finding[] = [];
  failNext = false;
  async accept(findings: readonly Finding[]): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('sink down');
    }
    this.findings.push(...findings);
  }
}

/** The test helpers' events moved into a tenant and device of this run, with unique event ids. */
function retag(jobs: CallEventJob[], tenantId: string, devices: Record<string, string>, run: string): CallEventJob[] {
  return jobs.map((j) => ({
    ...j,
    tenantId,
    eventId: `${run}:${j.eventId}`,
    callId: j.callId ? `${run}:${j.callId}` : undefined,
    deviceId: j.deviceId ? (devices[j.deviceId] ?? j.deviceId) : j.deviceId,
  }));
}

const byTime = (jobs: CallEventJob[]) => jobs.sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));

describe('fraud scoring on real Redis', () => {
  let redis: Redis;
  const tenantIds: string[] = [];

  beforeAll(() => {
    redis = createRedis(process.env.REDIS_URL as string, 'pbx-scoring-test');
  });
  afterAll(async () => {
    for (const t of tenantIds) {
      const keys = await redis.keys(FraudKeys.tenantPattern(t));
      if (keys.length) await redis.del(...keys);
      await redis.del(PolicyCounterKeys.shortInbound(t));
    }
    await redis.quit();
  });

  function scorerFor(tenantId: string, ctx: FraudContext, sink: FindingSink): Scorer {
    tenantIds.push(tenantId);
    return new Scorer(new FraudStateStore(redis), { get: async () => ({ ...ctx, tenantId }) }, sink, redis);
  }

  it('fires every detector through the scorer, each on its own device', async () => {
    const tenantId = randomUUID();
    const sink = new ArraySink();
    const scorer = scorerFor(tenantId, testContext({ spendCaps: { daily: 200 } }), sink);
    const dev = Object.fromEntries(['history', 'burst', 'cu', 'spray', 'flood', 'sweep', 'night', 'spend', 'takeover'].map((k) => [k, randomUUID()]));
    const week = ordinaryWeek(Object.values(dev));
    const saturday3 = MONDAY_10 + 4 * 24 * 60 * MIN + 17 * 60 * MIN;
    const attacks: CallEventJob[] = [
      ...Array.from({ length: 14 }, (_, i) => call({ at: MONDAY_10 + i * 5000, device: dev.burst, to: `+3375012${1000 + i * 97}`, seconds: 1200 })).flat(),
      ...[0, 15, 30].flatMap((m, i) => call({ at: MONDAY_10 + m * MIN, device: dev.cu, to: `+5327${100000 + i * 7919}`, seconds: 600 })),
      ...Array.from({ length: 32 }, (_, i) => call({ at: MONDAY_10 + i * 1.8 * MIN, device: dev.spray, to: `+4930${1234560 + i * 1111}`, seconds: 30 })).flat(),
      ...Array.from({ length: 30 }, (_, i) => call({ at: MONDAY_10 + i * 15_000, device: dev.flood, to: `+44161496${1000 + i * 211}`, seconds: 2 })).flat(),
      ...Array.from({ length: 6 }, (_, i) => call({ at: MONDAY_10 + i * 30_000, device: dev.sweep, to: `+44207946${3100 + i}`, seconds: 3 })).flat(),
      ...call({ at: saturday3, device: dev.night, to: '+4930123456' }),
      ...[0, 20].flatMap((m) => call({ at: MONDAY_10 + m * MIN, device: dev.spend, to: '+4930123456', seconds: 900, cost: 150 })),
      registration(MONDAY_10, 'NG', '102.89.1.7', dev.takeover),
      ...Array.from({ length: 6 }, (_, i) => call({ at: MONDAY_10 + i * 40_000, direction: 'inbound', device: null, from: `+882167${10000 + i}`, seconds: 0 })).flat(),
    ];
    const jobs = byTime(retag([...week, ...attacks], tenantId, { [DEVICE]: dev.history }, 'all'));
    // As BullMQ hands them out: many at once, so batches form.
    for (let i = 0; i < jobs.length; i += 50) await Promise.all(jobs.slice(i, i + 50).map((j) => scorer.score(j)));

    const kinds = new Set(sink.findings.map((f) => f.kind));
    expect([...kinds].sort()).toEqual([...FRAUD_KINDS].sort());
    const on = (device: string) => new Set(sink.findings.filter((f) => f.deviceId === device).map((f) => f.kind));
    expect(on(dev.history).size).toBe(0);
    expect(on(dev.burst)).toContain('concurrency-spike');
    expect(on(dev.cu)).toContain('new-destination');
    expect(on(dev.spray)).toContain('many-destinations');
    expect(on(dev.flood)).toContain('short-call-flood');
    expect(on(dev.sweep)).toContain('sequential-dialling');
    expect(on(dev.night)).toContain('out-of-hours-international');
    expect(on(dev.spend)).toContain('spend-velocity');
    expect(on(dev.takeover)).toContain('account-takeover');
    // The wangiri callers reached the policy's callback guard.
    expect(await redis.zscore(PolicyCounterKeys.shortInbound(tenantId), '+88216710000')).not.toBeNull();
    // State is bounded and expires.
    const key = FraudKeys.device(tenantId, dev.burst);
    expect(await redis.pttl(key)).toBeGreaterThan(29 * 86_400_000);
    expect((await redis.hget(key, 's'))!.length).toBeLessThan(8000);
  });

  it('counts a retried event once, replays its findings, and settles concurrent scorers on one state', async () => {
    const tenantId = randomUUID();
    const device = randomUUID();
    const sink = new ArraySink();
    const ctx = testContext();
    const scorer = scorerFor(tenantId, ctx, sink);
    const history = byTime(retag([...ordinaryWeek([DEVICE])], tenantId, { [DEVICE]: device }, 'h'));
    for (const j of history) await scorer.score(j);
    const takeover = retag([registration(MONDAY_10, 'NG', '102.89.1.7')], tenantId, { [DEVICE]: device }, 'r')[0];

    sink.failNext = true;
    await expect(scorer.score(takeover)).rejects.toThrow('sink down');
    const versionAfterFirst = await redis.hget(FraudKeys.device(tenantId, device), 'v');
    // The retry finds the event scored: the state is untouched and the finding is delivered.
    expect((await scorer.score(takeover)).map((f) => f.kind)).toEqual(['account-takeover']);
    expect(await redis.hget(FraudKeys.device(tenantId, device), 'v')).toBe(versionAfterFirst);
    expect(sink.findings.map((f) => f.kind)).toEqual(['account-takeover']);

    // Two worker processes racing on the same burst: each call is counted once.
    const other = scorerFor(tenantId, ctx, sink);
    const burst = retag(Array.from({ length: 10 }, (_, i) => call({ at: MONDAY_10 + MIN + i * 1000, seconds: 600 })).flat(), tenantId, { [DEVICE]: device }, 'b')
      .filter((j) => j.type === 'call.started');
    await Promise.all([...burst.map((j) => scorer.score(j)), ...burst.map((j) => other.score(j))]);
    const state = JSON.parse((await redis.hget(FraudKeys.device(tenantId, device), 's'))!);
    expect(Object.keys(state.active)).toHaveLength(10);
    expect(state.recent.filter(([at]: [number]) => at >= MONDAY_10)).toHaveLength(10);
    // The second process saw the events scored and delivered their finding again (at least once): one finding.
    const spikes = sink.findings.filter((f) => f.kind === 'concurrency-spike');
    expect(new Set(spikes.map((f) => `${f.eventId}|${f.dedupeKey}`)).size).toBe(1);
  });

  describe('through the real worker', () => {
    let ds: DataSource;
    let worker: RunningWorker;
    let queue: Queue;
    let queueRedis: Redis;
    let tenantId: string;
    const prefix = `pbx-test:bull-${randomUUID().slice(0, 8)}`;

    beforeAll(async () => {
      ds = await createDataSource({ url: process.env.DATABASE_URL as string, poolSize: 2, applicationName: 'pbx-scoring-test' }).initialize();
      const slug = `fraud${randomUUID().slice(0, 8)}`;
      [{ id: tenantId }] = await ds.query(`INSERT INTO tenants (name, slug, sip_realm, default_country, timezone) VALUES ($1, $1, $2, 'GB', 'Europe/London') RETURNING id`, [
        slug,
        `${slug}.pbx.test`,
      ]);
      tenantIds.push(tenantId);
      const config = loadWorkerConfig({ ...process.env, QUEUE_PREFIX: prefix, WORKER_OPS_PORT: '0', FRAUD_FINDINGS_SINK: 'record', AUDIT_HMAC_KEY: 's'.repeat(40) });
      worker = await startWorker(config, createLogger('worker-test', process.env.TEST_LOG_LEVEL ?? 'silent'));
      queueRedis = redis.duplicate();
      queue = new Queue(QUEUES.callEvents, { connection: queueRedis, prefix });
    });
    afterAll(async () => {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      await queueRedis.quit();
      await ds.query(`DELETE FROM fraud_policies WHERE tenant_id = $1`, [tenantId]);
      await ds.query(`DELETE FROM tenants WHERE id = $1`, [tenantId]);
      await ds.destroy();
    });

    it('records a takeover finding for an event published on the call-events queue', async () => {
      const device = randomUUID();
      const jobs = retag([0, 1, 2].map((d) => registration(MONDAY_10 - d * 86_400_000, 'GB', '81.2.69.160')), tenantId, { [DEVICE]: device }, 'w');
      jobs.push(retag([registration(MONDAY_10 + MIN, 'NG', '102.89.1.7')], tenantId, { [DEVICE]: device }, 'w')[0]);
      for (const j of byTime(jobs)) await queue.add(j.type, j, { jobId: j.eventId.replace(/:/g, '_') });
      const deadline = Date.now() + 10_000;
      let mine: RecordedFinding[] = [];
      while (Date.now() < deadline && mine.length === 0) {
        const all = (await redis.lrange(RECORDED_FINDINGS_KEY, -200, -1)).map((s) => JSON.parse(s) as RecordedFinding);
        mine = all.filter((r) => r.finding.tenantId === tenantId);
        if (!mine.length) await new Promise((r) => setTimeout(r, 50));
      }
      expect(mine.map((r) => [r.finding.kind, r.finding.deviceId])).toEqual([['account-takeover', device]]);
    });
  });
});
