import { createRedis, loadCounters, PolicyCounterKeys, QUEUES } from '@pbx/common';
import { createDataSource } from '@pbx/database';
import { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { RECORDED_FINDINGS_KEY } from '../../apps/worker/src/scoring/finding-sink';
import { FraudKeys } from '../../apps/worker/src/scoring/fraud-state.store';
import { generate, type Stream } from './generator';
import { checkWangiri } from '../../libs/policy/src/checks';
import { holdChecker } from './containment';
import { evaluate, evaluateBlocks, type GuardSightings, type Recorded } from './report';
import { startWorker } from './worker-process';

/**
 * bench/fraud: a labelled call-centre stream through the call-events queue and the real worker
 * process; prints recall, false alerts, latency and throughput. Usage:
 *   node dist/bench/fraud/bench.js [--seed N] [--devices 400] [--rate 3000] [--concurrency 200] [--attacks 20] [--warmup 1] [--workers 1] [--prefill]
 * Paced (default): events are published at --rate while the worker runs, so the queue-to-finding
 * lag is what a live feed sees. --prefill publishes the whole stream first and then starts the
 * worker: throughput of the worker alone, without the publisher competing for the two cores (the
 * lag is then queueing time and is not reported). --workers N runs N worker processes on the same
 * queue, as production scales out (the scorer's versioned commits keep concurrent processes exact).
 */
const TARGETS = { recall: 0.95, falsePerThousand: 1, latencyP95Ms: 10_000, eventsPerSecond: 5000 };

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

async function seedTenants(url: string, stream: Stream) {
  const ds = await createDataSource({ url, poolSize: 2, applicationName: 'pbx-bench-fraud' }).initialize();
  for (const t of stream.tenants) {
    await ds.query(`INSERT INTO tenants (id, name, slug, sip_realm, default_country, timezone) VALUES ($1, $2, $2, $3, $4, $5)`, [
      t.id,
      t.slug,
      `${t.slug}.bench.test`,
      t.country,
      t.timezone,
    ]);
    await ds.query(`INSERT INTO fraud_policies (tenant_id, daily_cap) VALUES ($1, $2) ON CONFLICT (tenant_id) DO UPDATE SET daily_cap = $2`, [t.id, t.dailyCap]);
  }
  return {
    drop: async () => {
      const ids = stream.tenants.map((t) => t.id);
      await ds.query(`DELETE FROM fraud_policies WHERE tenant_id = ANY($1)`, [ids]);
      await ds.query(`DELETE FROM tenants WHERE id = ANY($1)`, [ids]);
      await ds.destroy();
    },
  };
}

/** The policy's default callback-guard window (fraud_policies.wangiri_window_seconds). */
const CALLBACK_GUARD_MS = 3600_000;

/** Polls the tenants' callback guards every 100 ms, noting when each number first shows there. */
function watchGuards(redis: ReturnType<typeof createRedis>, stream: Stream) {
  const seen: GuardSightings = new Map();
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const t of stream.tenants) {
        const now = Date.now();
        for (const n of await redis.zrange(PolicyCounterKeys.shortInbound(t.id), 0, -1)) if (!seen.has(`${t.id}|${n}`)) seen.set(`${t.id}|${n}`, now);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    seen,
    stop: async () => {
      running = false;
      await loop;
      await redis.quit();
    },
  };
}

/** Wangiri waves whose first caller the policy's own check refuses to call back, one second after its ring. */
async function refusedCallbacks(redis: ReturnType<typeof createRedis>, stream: Stream): Promise<Set<string>> {
  const refused = new Set<string>();
  for (const a of stream.attacks) {
    if (!a.callback) continue;
    const timestamp = a.callback.at + 1000;
    const counters = await loadCounters(redis, a.tenantId, 'bench-agent', timestamp, { destination: a.callback.number });
    const attempt = { deviceId: 'bench-agent', destination: a.callback.number, kind: 'e164' as const, sourceIp: '192.0.2.1', timestamp };
    if (checkWangiri(CALLBACK_GUARD_MS, counters, attempt, undefined)?.ruleId === 'wangiri') refused.add(`${a.tenantId}|${a.callback.number}`);
  }
  return refused;
}

const s = (ms: number) => (Number.isNaN(ms) ? '-' : `${(ms / 1000).toFixed(1)}s`);

async function main(): Promise<void> {
  const seed = arg('seed', 1);
  const rate = arg('rate', 3000);
  const prefill = process.argv.includes('--prefill');
  const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/pbx';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const stream = generate({ seed, devices: arg('devices', 400), warmupDays: arg('warmup', 1), attacksPerKind: arg('attacks', 20) });
  const devices = stream.tenants.reduce((n, t) => n + t.devices.length, 0);
  console.log(
    `seed ${seed}: ${stream.events.length} events, ${stream.tenants.length} tenants, ${devices} devices (${stream.legitimateDevices} never attacked), ${stream.attacks.length} attacks, offered ${rate || 'max'} events/s`,
  );

  const prefix = `pbx-bench:bull-${randomUUID().slice(0, 8)}`;
  const redis = createRedis(redisUrl, 'pbx-bench-fraud');
  await redis.del(RECORDED_FINDINGS_KEY);
  const tenants = await seedTenants(databaseUrl, stream);
  const workerEnv = { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, QUEUE_PREFIX: prefix, WORKER_CONCURRENCY: String(arg('concurrency', 200)) };
  const startWorkers = async () => {
    const all = await Promise.all(Array.from({ length: Math.max(1, arg('workers', 1)) }, () => startWorker(workerEnv)));
    return { cpuSeconds: () => all.reduce((sum, w) => sum + w.cpuSeconds(), 0), stop: () => Promise.all(all.map((w) => w.stop())), count: all.length };
  };
  let worker = prefill ? null : await startWorkers();
  const queueRedis = redis.duplicate();
  const queue = new Queue(QUEUES.callEvents, { connection: queueRedis, prefix });
  try {
    const guards = watchGuards(redis.duplicate(), stream);
    const publishedAt = new Map<string, number>();
    let cpuBefore = worker?.cpuSeconds() ?? 0;
    let t0 = Date.now();
    const CHUNK = 500;
    for (let i = 0; i < stream.events.length; i += CHUNK) {
      const chunk = stream.events.slice(i, i + CHUNK);
      const now = Date.now();
      for (const e of chunk) publishedAt.set(e.eventId, now);
      // As the SIP app publishes: the event id is the job id, three attempts, bounded retention.
      await queue.addBulk(chunk.map((e) => ({ name: e.type, data: e, opts: { jobId: e.eventId, attempts: 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: true, removeOnFail: 10_000 } })));
      if (rate > 0 && !prefill) {
        const due = t0 + ((i + chunk.length) / rate) * 1000;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      }
    }
    if (!worker) {
      console.log(`published ${stream.events.length} events in ${s(Date.now() - t0)}; starting the worker`);
      worker = await startWorkers();
      cpuBefore = worker.cpuSeconds();
      t0 = Date.now();
    }
    const published = Date.now();
    for (;;) {
      const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      if (c.waiting + c.active + c.delayed + c.prioritized === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const drained = Date.now();
    await guards.stop();
    const cpu = worker.cpuSeconds() - cpuBefore;
    const failed = await queue.getJobCountByTypes('failed');
    const recorded = (await redis.lrange(RECORDED_FINDINGS_KEY, 0, -1)).map((x) => JSON.parse(x) as Recorded);
    const report = evaluate(stream, recorded, prefill ? new Map() : publishedAt);
    const blocks = evaluateBlocks(stream, report, guards.seen, await refusedCallbacks(redis, stream), prefill ? new Map() : publishedAt, holdChecker(stream));
    const throughput = stream.events.length / ((drained - t0) / 1000);

    console.log(`published in ${s(published - t0)}, drained ${s(drained - published)} later; ${failed} failed jobs; CPU of ${worker.count} worker process(es) ${cpu.toFixed(1)} s`);
    console.log('kind            attacks  recall  detect p50/p95   lag p50/p95    total p50/p95   first finding kinds');
    for (const k of report.kinds)
      console.log(
        `${k.kind.padEnd(15)} ${String(k.attacks).padStart(7)}  ${k.recall.toFixed(2).padStart(6)}  ${`${s(k.detectionP50)}/${s(k.detectionP95)}`.padEnd(15)}  ${`${s(k.lagP50)}/${s(k.lagP95)}`.padEnd(13)}  ${`${s(k.totalP50)}/${s(k.totalP95)}`.padEnd(14)}  ${k.firstKinds}`,
      );
    const g = blocks.guard;
    console.log(
      `wangiri callback guard: first caller held in ${g.armed}/${g.attacks} waves, a callback refused by the policy in ${g.refused}; ring p50/p95 ${s(g.detectP50)}/${s(g.detectP95)}, lag ${s(g.lagP50)}/${s(g.lagP95)}, total ${s(g.totalP50)}/${s(g.totalP95)}`,
    );
    console.log(
      `to the block (the guard for wangiri, the first finding otherwise, if the default playbook's answer to it stops the attack's later calls): ${blocks.blocked}/${blocks.attacks} attacks, p50/p95 ${s(blocks.overallP50)}/${s(blocks.overallP95)} (found but not stopped: ${blocks.notHeld}); to the first alert: overall p95 ${s(report.kinds[report.kinds.length - 1].totalP95)}`,
    );
    console.log(
      `false alerts: ${report.falseAlerts} (${report.falseFindings} findings) on ${stream.legitimateDevices} legitimate devices in the measured day = ${report.falsePerThousandDevicesPerDay.toFixed(2)} per 1,000 devices per day [${report.falseByKind}]; warm-up day findings: ${report.warmupFindings}`,
    );
    console.log(`throughput: ${Math.round(throughput)} events/s (${stream.events.length} events in ${s(drained - t0)}), ${Math.round(stream.events.length / cpu)} events per worker CPU second`);

    const misses = [
      ...report.kinds.filter((k) => k.recall < TARGETS.recall).map((k) => `recall ${k.kind} ${k.recall.toFixed(2)}`),
      ...(report.falsePerThousandDevicesPerDay > TARGETS.falsePerThousand ? [`false alerts ${report.falsePerThousandDevicesPerDay.toFixed(2)}`] : []),
      ...(blocks.overallP95 > TARGETS.latencyP95Ms ? [`latency to the block p95 ${s(blocks.overallP95)}`] : []),
      ...(g.refused < g.attacks ? [`callback guard refused ${g.refused}/${g.attacks}`] : []),
      ...(prefill && throughput < TARGETS.eventsPerSecond ? [`throughput ${Math.round(throughput)}`] : []),
    ];
    console.log(misses.length ? `MISSED: ${misses.join('; ')}` : 'all targets met');
    process.exitCode = misses.length ? 1 : 0;
  } finally {
    await worker?.stop();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await queueRedis.quit();
    for (const t of stream.tenants) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', FraudKeys.tenantPattern(t.id), 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.unlink(...keys);
      } while (cursor !== '0');
      await redis.unlink(PolicyCounterKeys.shortInbound(t.id));
    }
    await redis.del(RECORDED_FINDINGS_KEY);
    await tenants.drop();
    await redis.quit();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(2);
});
