import { join } from 'node:path';
import { rssMiB, sleep } from '../sip-edge/bench-support';
import {
  backendCounters, createBenchDatabase, dropBenchDatabase, flushRedisDb, redisCallsPer, seedDevices, writeUsersCsv,
} from './fixtures';
import { formatStep, runStep, warmUp, type StepResult } from './ladder';
import { appMetrics, root, runBench } from './processes';
import { gcAndRss, startAppStack, startBareStack, type Stack, type StackSettings } from './stacks';

/**
 * The SIP app's registrar under load, beside the bare registrar of bench/sip-edge, in one run: sipp
 * REGISTER → 401 → REGISTER+digest → 200 over UDP on loopback at a ladder of offered rates. The two stacks
 * run side by side and take turns at each rate, so a busy moment of the shared machine hits both alike.
 * Not run in CI; `bash bench/sip-app/run.sh`. Knobs are environment variables (README.md).
 */
const num = (name: string, def: number) => Number(process.env[name] ?? def);
const RATES = (process.env.RATES ?? '1000,1500,2000,3000,4000').split(',').map(Number).filter((n) => n > 0);
const STEP_SECONDS = num('STEP_SECONDS', 10);
const P99_RATE = num('P99_RATE', 2000);
const DEVICES = num('DEVICES', 5000);
const BASE_APPS = num('BASE_APPS', 1);
const SETTLE_S = num('SETTLE_S', 45);
const WARM_COUNT = num('WARM_COUNT', 3000);
const WARM_RATE = num('WARM_RATE', 500);
const DB_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/pbx_bench';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
/** sipp 3.6.1 answers only the first challenge and computes only MD5: with SHA-256 offered first it gives up. */
const ALGORITHMS = (process.env.DIGEST_ALGORITHMS ?? 'MD5').split(',');
const PHASES = new Set((process.env.PHASES ?? 'base,app').split(','));
const KEEP = process.env.BENCH_KEEP === '1';
const REALM = 'bench.pbx.test';

/** App RSS after the load and a settle period counts as "back near its start" within this margin. */
const memoryMargin = (start: number) => Math.max(30, start * 0.3);

interface AppMemory {
  start: number;
  afterWarm: number;
  peak: number;
  afterNoGc: number;
  after: number;
  heapStart?: string;
  heapAfter?: string;
}

/** The app's own account of the REGISTERs it answered and how long it took (from its /metrics). */
function outcomeLines(text: string): string[] {
  const label = (labels: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(labels)?.[1] ?? '?';
  const outcomes = [...text.matchAll(/^sip_register_requests_total\{([^}]*)\} (\d+)/gm)].map((m) => `${label(m[1], 'outcome')}/${label(m[1], 'transport')} ${m[2]}`);
  const sum = Number(/^sip_register_duration_seconds_sum(?:\{[^}]*\})? (\S+)/m.exec(text)?.[1]);
  const count = Number(/^sip_register_duration_seconds_count(?:\{[^}]*\})? (\S+)/m.exec(text)?.[1]);
  return [
    `app REGISTER outcomes (warm-up included): ${outcomes.join(', ') || 'none'}`,
    `app time per REGISTER, arrival to answer (its own histogram, mean): ${((sum / count) * 1000).toFixed(2)} ms`,
  ];
}

/** Each stack's step at each rate in turn; a stack that saturated skips the higher rates. */
async function interleave(stacks: Stack[]): Promise<void> {
  for (const rate of RATES) {
    for (const s of stacks) {
      if (s.saturated) continue;
      const step = await runStep(s.ladder, rate);
      s.steps.push(step);
      console.log(formatStep(s.name, step));
      if (step.rate < rate * 0.85 && rate >= P99_RATE) {
        s.saturated = true;
        console.log(`   ${s.name}: saturated at ${rate}/s offered, higher steps skipped`);
      }
      await sleep(3000);
    }
  }
}

const peakOf = (steps: StepResult[]) => steps.reduce<StepResult | undefined>((best, s) => (!best || s.rate > best.rate ? s : best), undefined);
const at = (steps: StepResult[], rate: number) => steps.find((s) => s.offered === rate);
const f0 = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(0));
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
const col = (s: string, w = 26) => s.padEnd(w);

function summary(base: StepResult[], app: StepResult[], mem: AppMemory | undefined): boolean {
  const [bp, ap] = [peakOf(base), peakOf(app)];
  const [b2, a2] = [at(base, P99_RATE), at(app, P99_RATE)];
  const row = (label: string, b: string, a: string) => console.log(`   ${col(label, 38)}${col(b)}${col(a)}`);
  console.log(`\n== summary (${new Date().toISOString()}; same run, interleaved, UDP, ${STEP_SECONDS} s per step)`);
  row('', `bare registrar (${BASE_APPS}×)`, 'full app (1×)');
  row('peak complete reg/s', `${f0(bp?.rate)} (at ${bp?.offered ?? '-'}/s)`, `${f0(ap?.rate)} (at ${ap?.offered ?? '-'}/s)`);
  row(`p50 / p99 at ${P99_RATE}/s`, `${b2?.p50 ?? '-'} / ${b2?.p99 ?? '-'} ms`, `${a2?.p50 ?? '-'} / ${a2?.p99 ?? '-'} ms`);
  for (const [label, pair] of [[`CPU µs/reg at ${P99_RATE}/s`, [b2, a2]], ['CPU µs/reg at peak', [bp, ap]]] as const) {
    const names = [...new Set([...Object.keys(pair[0]?.cpuUs ?? {}), ...Object.keys(pair[1]?.cpuUs ?? {})])];
    for (const n of names) row(`${label}: ${n}`, f0(pair[0]?.cpuUs[n]), f0(pair[1]?.cpuUs[n]));
  }
  // What one thread could carry if it had a core to itself: independent of what else the machine does.
  row(`1 s ÷ registrar/app CPU at ${P99_RATE}/s`, `${f0(1e6 / (b2?.cpuUs.registrar ?? NaN))}/s`, `${f0(1e6 / (a2?.cpuUs.app ?? NaN))}/s`);
  let ok = true;
  if (bp && ap) {
    const share = ap.rate / bp.rate;
    ok &&= share >= 0.8;
    console.log(`   ${verdict(share >= 0.8)}  full app peak = ${(share * 100).toFixed(0)}% of the bare registrar's (target ≥ 80%)`);
  }
  if (a2) {
    ok &&= a2.p99 < 20;
    console.log(`   ${verdict(a2.p99 < 20)}  full app p99 at ${P99_RATE}/s offered = ${a2.p99} ms (target < 20 ms)`);
  }
  if (mem) {
    const limit = mem.start + memoryMargin(mem.start);
    ok &&= mem.after <= limit;
    console.log(
      `   ${verdict(mem.after <= limit)}  app RSS start ${mem.start} → after warm-up ${mem.afterWarm} → peak ${mem.peak} → after ${SETTLE_S} s ${mem.afterNoGc} ` +
        `→ after a forced GC ${mem.after} MiB (target ≤ start + max(30 MiB, 30%) = ${limit.toFixed(1)} MiB); V8 heap used/total ${mem.heapStart ?? '?'} → ${mem.heapAfter ?? '?'} MiB`,
    );
  }
  return ok;
}

async function main(dir: string): Promise<boolean> {
  console.log(`sip-app bench: rates ${RATES.join(', ')}/s × ${STEP_SECONDS} s, ${DEVICES} devices, work dir ${dir}`);
  const settings = (csv: string): StackSettings => ({ dir, csv, scenario: join(root, 'bench', 'sip-app', 'scenarios', 'reg.xml'), seconds: STEP_SECONDS });
  const stacks: Stack[] = [];
  try {
    if (PHASES.has('base')) {
      const users = Array.from({ length: DEVICES }, (_v, i) => ({ username: `b${String(i).padStart(5, '0')}`, password: 'pw' }));
      stacks.push(await startBareStack(settings(writeUsersCsv(join(dir, 'bare-users.csv'), users, REALM)), BASE_APPS));
      console.log(`bare: edge + ${BASE_APPS} bench/sip-edge registrar app(s), password "pw", no database`);
    }
    let app: Stack | undefined;
    if (PHASES.has('app')) {
      const t0 = Date.now();
      await createBenchDatabase(DB_URL, root);
      const seeded = await seedDevices(DB_URL, REALM, DEVICES, ALGORITHMS);
      await flushRedisDb(REDIS_URL);
      app = await startAppStack(settings(writeUsersCsv(join(dir, 'app-users.csv'), seeded, REALM)), DB_URL, REDIS_URL);
      stacks.push(app);
      console.log(
        `app:  edge + dist/apps/sip/src/main.js (pid ${app.app?.pid}; node flags ${process.env.APP_NODE_FLAGS?.trim() || '(none)'} + --expose-gc -r gc-preload), ` +
          `${DEVICES} devices (${ALGORITHMS.join('+')}) in ${new URL(DB_URL).pathname.slice(1)}, bindings in ${REDIS_URL} ` +
          `(recreated, migrated, seeded, flushed in ${((Date.now() - t0) / 1000).toFixed(1)} s); log ${app.app?.logFile}`,
    );
    }
    const start = app?.app ? await gcAndRss(app.app) : undefined;
    for (const s of stacks) console.log(`${s.name.padEnd(5)} warm-up (not measured, cold caches): ${await warmUp(s.ladder, WARM_RATE, WARM_COUNT)}`);
    await sleep(1000);
    const afterWarm = app?.app ? rssMiB(app.app.pid) : NaN;
    const before = app ? await backendCounters(REDIS_URL, DB_URL) : undefined;
    console.log('');
    await interleave(stacks);
    let mem: AppMemory | undefined;
    if (app?.app && start && before) {
      const done = app.steps.reduce((n, x) => n + x.successful, 0);
      const notes = [`Redis commands per complete registration (server-wide, others' traffic included): ${redisCallsPer(before, await backendCounters(REDIS_URL, DB_URL), done)}`];
      console.log(`\n.. settling ${SETTLE_S} s (edge transaction timers, the app's cache TTL)`);
      await sleep(SETTLE_S * 1000);
      const afterNoGc = rssMiB(app.app.pid);
      const after = await gcAndRss(app.app);
      const pg = await backendCounters(REDIS_URL, DB_URL);
      notes.push(`Postgres transactions per complete registration: ${((pg.pgXacts - before.pgXacts) / done).toFixed(3)}`);
      notes.push(...outcomeLines(await appMetrics(app.app.opsPort)));
      for (const n of notes) console.log(`   ${n}`);
      const peak = Math.max(afterWarm, ...app.steps.map((s) => s.rssPeak.app));
      mem = { start: start.rss, afterWarm, peak, afterNoGc, after: after.rss, heapStart: start.heap, heapAfter: after.heap };
    }
    const bare = stacks.find((s) => s.name === 'bare');
    return summary(bare?.steps ?? [], app?.steps ?? [], mem);
  } finally {
    for (const s of stacks) await s.stop();
  }
}

runBench('sip-app-bench-', main, async () => {
  if (!PHASES.has('app')) return;
  await flushRedisDb(REDIS_URL).catch(() => undefined);
  if (!KEEP) await dropBenchDatabase(DB_URL).catch((err: unknown) => console.error(`could not drop the bench database: ${String(err)}`));
});
