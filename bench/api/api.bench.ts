/**
 * Admin API benchmark: `npm run bench` (or `npm run build && node dist/bench/api/api.bench.js`).
 * Starts the built API as a child process against the real Postgres and Redis, then measures:
 *   (a) with autocannon, GET /api/v1/auth/me (JWT verify, Redis deny-list, profile) against
 *       GET /health/live, a @Public() route through the same Nest/Fastify stack and global guards:
 *       the "bare" baseline; interleaved rounds;
 *   (b) /me p99 at a fixed 500 req/s, from an evenly paced client (see paced-load.ts), with
 *       autocannon's bursty overallRate printed beside it;
 *   (c) logins per second at bcrypt cost 12.
 * Targets: /me >= 70% of the baseline's throughput; /me p99 < 20 ms at 500 req/s. Exits 1 on a miss.
 */
import autocannon, { Options, Result } from 'autocannon';
import { cpus, loadavg } from 'node:os';
import { pacedLoad } from './paced-load';
import { startBenchApi } from './api-process';

const env = process.env;
const DATABASE_URL = env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const DURATION = Number(env.BENCH_DURATION_SECONDS ?? 10);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 50);
const FIXED_RATE = 500;
const ROUNDS = Number(env.BENCH_ROUNDS ?? 2);
const BCRYPT_COST = 12;
const TARGET_RATIO = 0.7;
const TARGET_P99_MS = 20;

/** Mean throughput over the rounds; the worst round's latencies. */
function summarise(runs: Result[]): { requests: { average: number }; latency: Result['latency'] } {
  const worst = runs.reduce((a, b) => (b.latency.p99 > a.latency.p99 ? b : a));
  return { requests: { average: runs.reduce((n, r) => n + r.requests.average, 0) / runs.length }, latency: worst.latency };
}

async function run(title: string, opts: Options): Promise<Result> {
  const result = await autocannon({ title, ...opts });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) throw new Error(`${title}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  return result;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const sep = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(rows[0]), sep, ...rows.slice(1).map(line)].join('\n');
}

async function main(): Promise<void> {
  console.log(`api bench: ${DURATION}s per run, ${CONNECTIONS} connections, bcrypt cost ${BCRYPT_COST}, db ${new URL(DATABASE_URL).pathname.slice(1)}`);
  // API, Postgres, Redis and the load generator share these CPUs: read the figures with the load in mind.
  console.log(`host: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const api = await startBenchApi({ databaseUrl: DATABASE_URL, redisUrl: REDIS_URL, bcryptCost: BCRYPT_COST });
  try {
    const loginBody = JSON.stringify(api.user);
    const res = await fetch(`${api.baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: loginBody });
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
    const { access_token: token } = (await res.json()) as { access_token: string };
    const me = { url: `${api.baseUrl}/api/v1/auth/me`, headers: { authorization: `Bearer ${token}` } };
    const bare = { url: `${api.baseUrl}/health/live` };

    // Warm-up: JIT, connection pools, TypeORM metadata.
    await run('warm-up me', { ...me, connections: CONNECTIONS, duration: 3 });
    await run('warm-up bare', { ...bare, connections: CONNECTIONS, duration: 3 });

    // Interleaved rounds, so drift in what else the machine is doing falls on both sides alike.
    const bareRuns: Result[] = [];
    const meRuns: Result[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      bareRuns.push(await run('bare max', { ...bare, connections: CONNECTIONS, duration: DURATION }));
      meRuns.push(await run('me max', { ...me, connections: CONNECTIONS, duration: DURATION }));
    }
    const bareMax = summarise(bareRuns);
    const meMax = summarise(meRuns);
    const paced = await pacedLoad(me.url, me.headers, FIXED_RATE, DURATION);
    if (paced.errors > 0) throw new Error(`paced load: ${paced.errors} failed requests`);
    const bursty = await run('me 500 rps', { ...me, connections: CONNECTIONS, duration: DURATION, overallRate: FIXED_RATE });
    const login = await run('login', {
      url: `${api.baseUrl}/api/v1/auth/login`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: loginBody,
      connections: 8,
      duration: DURATION,
    });

    const ratio = meMax.requests.average / bareMax.requests.average;
    const ratioPass = ratio >= TARGET_RATIO;
    const p99Pass = paced.p99 < TARGET_P99_MS;
    console.log('\n(a) max throughput, %d connections, %d interleaved rounds of %d s (req/s averaged, latency of the worst round)', CONNECTIONS, ROUNDS, DURATION);
    console.log(
      table([
        ['endpoint', 'req/s (avg)', 'p50 ms', 'p99 ms', 'max ms'],
        ['GET /health/live (bare Nest route)', fmt(bareMax.requests.average), fmt(bareMax.latency.p50, 1), fmt(bareMax.latency.p99, 1), fmt(bareMax.latency.max, 1)],
        ['GET /api/v1/auth/me (Bearer)', fmt(meMax.requests.average), fmt(meMax.latency.p50, 1), fmt(meMax.latency.p99, 1), fmt(meMax.latency.max, 1)],
        ['ratio me / bare', `${fmt(ratio * 100, 1)} %`, '', '', ''],
      ]),
    );
    console.log('\n(b) fixed rate %d req/s, %d s', FIXED_RATE, DURATION);
    console.log(
      table([
        ['client', 'req/s (avg)', 'p50 ms', 'p99 ms', 'max ms'],
        ['GET /api/v1/auth/me, evenly paced, latency from due time', fmt(paced.rate), fmt(paced.p50, 1), fmt(paced.p99, 1), fmt(paced.max, 1)],
        ['GET /api/v1/auth/me, autocannon overallRate (bursty, for reference)', fmt(bursty.requests.average), fmt(bursty.latency.p50, 1), fmt(bursty.latency.p99, 1), fmt(bursty.latency.max, 1)],
      ]),
    );
    console.log('\n(c) login, bcrypt cost %d, 8 connections, %d s', BCRYPT_COST, DURATION);
    console.log(
      table([
        ['endpoint', 'req/s (avg)', 'p50 ms', 'p99 ms', 'total'],
        ['POST /api/v1/auth/login', fmt(login.requests.average, 1), fmt(login.latency.p50, 1), fmt(login.latency.p99, 1), fmt(login.requests.total)],
      ]),
    );
    console.log('\ntargets');
    console.log(`  ${ratioPass ? 'PASS' : 'FAIL'}  /me throughput >= ${TARGET_RATIO * 100}% of bare: ${fmt(ratio * 100, 1)} %`);
    console.log(`  ${p99Pass ? 'PASS' : 'FAIL'}  /me p99 at ${FIXED_RATE} req/s (paced) < ${TARGET_P99_MS} ms: ${fmt(paced.p99, 1)} ms`);
    if (!ratioPass || !p99Pass) process.exitCode = 1;
  } finally {
    await api.stop();
  }
}

main().catch((err: unknown) => {
  console.error('api bench failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
