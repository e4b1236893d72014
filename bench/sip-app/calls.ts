import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { Client as NgClient } from 'rtpengine-client';
import { computeHa1 } from '../../libs/common/src/sip-digest';
import { cpuSeconds, freePort, percentile, rssMiB, runSipp, sleep, startApp, type SippRun } from '../sip-edge/bench-support';
import { backendCounters, createBenchDatabase, dropBenchDatabase, flushRedisDb, seedDevices, writeUsersCsv } from './fixtures';
import { root, runBench, startEdge, startSipApp, stop } from './processes';
import { gcAndRss } from './stacks';

/**
 * Call setups through the full SIP app (digest 407, policy, counters, live call, CDR, call events, media
 * anchored) beside the bare srf B2BUA of bench/sip-edge with its media unanchored and anchored in the same
 * rtpengine, in one run: sipp places calls at CALL_RATE/s for CALL_SECONDS s, each held HOLD_S s, to a sipp
 * UAS that answers with SDES-SRTP. Not run in CI: `bash bench/sip-app/run.sh calls`.
 */
const num = (name: string, def: number) => Number(process.env[name] ?? def);
const CALL_RATE = num('CALL_RATE', 500);
const CALL_SECONDS = num('CALL_SECONDS', 10);
const HOLD_S = num('HOLD_S', 10);
const CALLERS = num('CALLERS', 5000);
const WARM_CALLS = num('WARM_CALLS', 600);
const WARM_RATE = num('WARM_RATE', 100);
const SETTLE_S = num('SETTLE_S', 45);
const DB_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/pbx_bench_calls';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/14';
const KEEP = process.env.BENCH_KEEP === '1';
const REALM = 'bench.pbx.test';
const CALLEE = { username: 'callee', extension: '20000' };
const SECRET = 'bench-secret-0123456789';
const BUFFERS = ['-max_socket', '100', '-buff_size', String(4 * 1024 * 1024)];
const scenario = (name: string) => join(root, 'bench', 'sip-app', 'scenarios', name);

interface Watched {
  name: string;
  pids: () => number[];
}

interface CallRun {
  offered: number;
  setupRate: number;
  successful: number;
  failed: number;
  maxConcurrent: number;
  p50: number;
  p99: number;
  cpuUs: Record<string, number>;
}

/** Every process with this command name (the shared postgres and redis-server). */
function pidsNamed(comm: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/comm`, 'utf8').trim() === comm;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** CPU seconds by pid; a delta counts only pids alive at both readings (backends come and go). */
function cpuOf(pids: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const p of pids) {
    try {
      out.set(p, cpuSeconds(p));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
const cpuDelta = (a: Map<number, number>, b: Map<number, number>) => [...b].reduce((s, [p, v]) => s + (a.has(p) ? v - (a.get(p) ?? 0) : 0), 0);

/** The callee extension and its device, beside the seeded callers. */
async function seedCallee(password: string): Promise<void> {
  const c = new Client({ connectionString: DB_URL });
  await c.connect();
  try {
    const [t] = (await c.query<{ id: string }>(`SELECT id FROM tenants WHERE sip_realm = $1`, [REALM])).rows;
    const [e] = (await c.query<{ id: string }>(`INSERT INTO extensions (tenant_id, number, name) VALUES ($1, $2, 'Callee') RETURNING id`, [t.id, CALLEE.extension])).rows;
    await c.query(
      `INSERT INTO devices (tenant_id, extension_id, name, sip_username, ha1_md5, ha1_sha256, digest_algorithms, transports, max_registrations)
       VALUES ($1, $2, 'callee', $3, $4, $5, '{MD5}', '{udp}', 1)`,
      [t.id, e.id, CALLEE.username, computeHa1('MD5', CALLEE.username, REALM, password), computeHa1('SHA-256', CALLEE.username, REALM, password)],
    );
  } finally {
    await c.end();
  }
}

/** The called phone: (for the app) a real REGISTER from the port the UAS then listens on, then the UAS. */
async function startUas(dir: string, count: number, register?: { target: string; csv: string }): Promise<{ port: number; run: Promise<SippRun> }> {
  const port = await freePort('udp');
  if (register) {
    const reg = await runSipp([register.target, '-sf', scenario('reg.xml'), '-inf', register.csv, '-i', '127.0.0.1', '-p', String(port), '-m', '1', '-timeout', '10s'], mkdtempSync(join(dir, 'callee-reg-')));
    if (reg.successful !== 1) throw new Error(`the callee did not register:\n${reg.stdout.slice(-2000)}`);
  }
  const timeout = `${CALL_SECONDS + HOLD_S + 90}s`;
  const run = runSipp(['-sf', scenario('uas-srtp.xml'), '-i', '127.0.0.1', '-p', String(port), '-m', String(count), '-timeout', timeout, ...BUFFERS], mkdtempSync(join(dir, 'uas-')));
  await sleep(300);
  return { port, run };
}

async function placeCalls(dir: string, target: string, uac: string[], rate: number, count: number, watched: Watched[]): Promise<CallRun> {
  const cpu0 = watched.map((w) => cpuOf(w.pids()));
  const timeout = `${Math.ceil(count / rate) + HOLD_S + 60}s`;
  const run = await runSipp(
    [target, ...uac, '-i', '127.0.0.1', '-p', String(await freePort('udp')), '-r', String(rate), '-rp', '1000', '-m', String(count), '-d', String(HOLD_S * 1000),
      '-l', String(rate * (HOLD_S + 5)), '-timeout', timeout, ...BUFFERS],
    mkdtempSync(join(dir, 'uac-')),
  );
  const cpu1 = watched.map((w) => cpuOf(w.pids()));
  const per = (s: number) => (run.successful ? (s * 1e6) / run.successful : NaN);
  const cpuUs: Record<string, number> = { sipp: per(run.cpuS) };
  watched.forEach((w, i) => (cpuUs[w.name] = per(cpuDelta(cpu0[i], cpu1[i]))));
  if (run.failed > 0 || run.successful === 0) console.log(run.stdout.split('\n').slice(-12).join('\n'));
  const sorted = run.rtdMs.slice().sort((a, b) => a - b);
  return {
    offered: rate,
    // Calls are placed during the offering period; the wall time also holds the last ones for HOLD_S.
    setupRate: run.successful / Math.max(1, run.elapsedS - HOLD_S),
    successful: run.successful,
    failed: run.failed,
    maxConcurrent: run.maxCurrent,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    cpuUs,
  };
}

const f0 = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(0));
function line(name: string, r: CallRun): string {
  const cpu = Object.entries(r.cpuUs).map(([k, v]) => `${k} ${f0(v)}`).join(', ');
  return `   ${name.padEnd(10)} ${r.offered}/s offered: ${f0(r.setupRate)} setups/s, ${r.successful} ok, ${r.failed} failed, peak ${r.maxConcurrent} concurrent, setup p50 ${r.p50} ms p99 ${r.p99} ms | CPU µs/call: ${cpu}`;
}

async function main(dir: string): Promise<boolean> {
  const total = CALL_RATE * CALL_SECONDS;
  console.log(`sip-app call bench: ${CALL_RATE}/s × ${CALL_SECONDS} s, held ${HOLD_S} s, ${CALLERS} calling devices, work dir ${dir}`);
  const shared: Watched[] = [
    { name: 'redis-server', pids: () => pidsNamed('redis-server') },
    { name: 'postgres', pids: () => pidsNamed('postgres') },
  ];

  // Bare: the edge and bench/sip-edge's srf B2BUA (no auth, no database, one per run), sipp's own UAC.
  const bareEdge = await startEdge(dir, SECRET, 'bare');

  // A private rtpengine (scripts/rtpengine.sh) with room for every held call: 4 ports per call.
  const rtp = startRtpengine(dir);
  // App: the edge and dist/apps/sip/src/main.js against a seeded database.
  await createBenchDatabase(DB_URL, root);
  const callers = await seedDevices(DB_URL, REALM, CALLERS, ['MD5']);
  const calleePassword = 'c0ffee00c0ffee00';
  await seedCallee(calleePassword);
  await flushRedisDb(REDIS_URL);
  // sipp's injection file for scenarios/call-auth.xml: username, [authentication …], realm, the dialed extension.
  const csv = join(dir, 'callers.csv');
  const rows = callers.map((u) => `${u.username};[authentication username=${u.username} password=${u.password}];${REALM};${CALLEE.extension}`);
  writeFileSync(csv, `${['SEQUENTIAL', ...rows].join('\n')}\n`, { mode: 0o600 });
  const calleeCsv = writeUsersCsv(join(dir, 'callee.csv'), [{ username: CALLEE.username, password: calleePassword }], REALM);
  const appEdge = await startEdge(dir, SECRET, 'app');
  const app = await startSipApp(dir, {
    DRACHTIO_HOST: '127.0.0.1', DRACHTIO_PORT: String(appEdge.adminPort), DRACHTIO_SECRET: SECRET,
    DATABASE_URL: DB_URL, REDIS_URL, AUDIT_HMAC_KEY: 'bench-audit-key-0123456789abcdef0123456789', LOG_LEVEL: process.env.APP_LOG_LEVEL ?? 'info',
    SIP_FLOOD_DENSITY: '0', SIP_DRAIN_SECONDS: '0', RTPENGINE_NG_PORT: String(rtp.ngPort),
  });
  const appTarget = `127.0.0.1:${appEdge.udpPort}`;

  // The bare B2BUA with its media unanchored (SDP end to end), or anchored in the app's rtpengine.
  const runBare = async (rate: number, count: number, anchored = false) => {
    const uas = await startUas(dir, count);
    const b2bua = await startApp(join(root, 'dist', 'bench', 'sip-edge', 'apps', 'b2bua-app.js'), {
      ADMIN_PORT: String(bareEdge.adminPort), EDGE_SECRET: SECRET, B_LEG: `sip:uas@127.0.0.1:${uas.port}`,
      ...(anchored ? { RTPENGINE_NG_PORT: String(rtp.ngPort) } : {}),
    });
    const watched = [{ name: 'edge', pids: () => [bareEdge.pid] }, { name: 'b2bua', pids: () => [b2bua.pid as number] }, { name: 'rtpengine', pids: () => [rtp.pid] }, ...shared];
    const r = await placeCalls(dir, `127.0.0.1:${bareEdge.udpPort}`, ['-sf', scenario('call-srtp.xml'), '-s', 'bench'], rate, count, watched);
    await uas.run;
    await stop(b2bua);
    if (anchored) console.log(`   (rtpengine held none of the B2BUA's calls ${f0(await mediaReleased(rtp.ngPort))} s after the phase ended)`);
    return r;
  };
  const runApp = async (rate: number, count: number) => {
    const uas = await startUas(dir, count, { target: appTarget, csv: calleeCsv });
    const watched = [{ name: 'edge', pids: () => [appEdge.pid] }, { name: 'app', pids: () => [app.pid] }, { name: 'rtpengine', pids: () => [rtp.pid] }, ...shared];
    const r = await placeCalls(dir, appTarget, ['-sf', scenario('call-auth.xml'), '-inf', csv], rate, count, watched);
    await uas.run;
    console.log(`   (rtpengine held none of the app's calls ${f0(await mediaReleased(rtp.ngPort))} s after the phase ended)`);
    return r;
  };

  try {
    const start = await gcAndRss(app);
    console.log(`warm-up (not measured): bare ${line('', await runBare(WARM_RATE, WARM_CALLS)).trim()}`);
    console.log(`warm-up (not measured): bare+rtp ${line('', await runBare(WARM_RATE, WARM_CALLS, true)).trim()}`);
    console.log(`warm-up (not measured): app  ${line('', await runApp(WARM_RATE, WARM_CALLS)).trim()}`);
    const before = await backendCounters(REDIS_URL, DB_URL);
    let peak = rssMiB(app.pid);
    const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(app.pid))), 500);
    const bare = await runBare(CALL_RATE, total);
    console.log(line('bare', bare));
    await sleep(3000);
    const bareRtp = await runBare(CALL_RATE, total, true);
    console.log(line('bare+rtp', bareRtp));
    await sleep(3000);
    const full = await runApp(CALL_RATE, total);
    console.log(line('app', full));
    clearInterval(sampler);
    const after = await backendCounters(REDIS_URL, DB_URL);
    console.log(`   Postgres transactions per app call: ${((after.pgXacts - before.pgXacts) / Math.max(1, full.successful)).toFixed(2)}`);
    console.log(`\n.. settling ${SETTLE_S} s`);
    await sleep(SETTLE_S * 1000);
    const end = await gcAndRss(app);
    const limit = start.rss + Math.max(30, start.rss * 0.3);
    const checks: Array<[boolean, string]> = [
      [full.setupRate >= CALL_RATE * 0.97 && full.failed === 0, `full app ${f0(full.setupRate)} setups/s of ${CALL_RATE}/s offered, ${full.failed} failed (target ${CALL_RATE}/s, none failed)`],
      [full.maxConcurrent >= CALL_RATE * HOLD_S * 0.9, `full app peak ${full.maxConcurrent} calls held at once (target ${CALL_RATE * HOLD_S})`],
      [end.rss <= limit, `app RSS start ${start.rss} → peak ${peak} → after ${SETTLE_S} s and a forced GC ${end.rss} MiB (target ≤ ${limit.toFixed(1)})`],
    ];
    console.log(`\n== summary (${new Date().toISOString()}; same run, UDP): app setups = ${((full.setupRate / Math.max(1, bare.setupRate)) * 100).toFixed(0)}% of the bare B2BUA's (${f0(bare.setupRate)}/s)`);
    const held = (r: CallRun) => `${f0(r.setupRate)} setups/s, ${r.maxConcurrent} held at once`;
    console.log(`   media phase, bare B2BUA unanchored → anchored in rtpengine: ${held(bare)} → ${held(bareRtp)}; rtpengine ${f0(bareRtp.cpuUs.rtpengine)} µs/call, B2BUA ${f0(bare.cpuUs.b2bua)} → ${f0(bareRtp.cpuUs.b2bua)} µs/call; the app (always anchored): ${held(full)}, rtpengine ${f0(full.cpuUs.rtpengine)} µs/call`);
    console.log(`   CPU µs per call, bare → app: ${Object.keys(full.cpuUs).map((k) => `${k} ${f0(bare.cpuUs[k === 'app' ? 'b2bua' : k])} → ${f0(full.cpuUs[k])}`).join(', ')}`);
    const fds = openFileLimit(rtp.pid);
    console.log(`   rtpengine's open-file limit ${fds}: at four sockets per anchored call it can hold about ${f0(fds / 4)} calls at once`);
    for (const [ok, text] of checks) console.log(`   ${ok ? 'PASS' : 'FAIL'}  ${text}`);
    return checks.every(([ok]) => ok);
  } finally {
    await stop(app.proc, 15_000);
    await stop(appEdge.proc);
    await stop(bareEdge.proc);
    try {
      process.kill(rtp.pid, 'SIGTERM');
    } catch {
      // gone already
    }
  }
}

/** rtpengine as the stack starts it, on its own ng port and a media range wide enough for the held calls. */
function startRtpengine(dir: string): { pid: number; ngPort: number } {
  const ngPort = num('BENCH_RTPENGINE_NG_PORT', 22299);
  const env = {
    ...process.env, PBX_VAR_DIR: dir, RTPENGINE_NG_PORT: String(ngPort), RTPENGINE_LOG_LEVEL: '3',
    RTPENGINE_PORT_MIN: String(num('BENCH_RTP_PORT_MIN', 20000)), RTPENGINE_PORT_MAX: String(num('BENCH_RTP_PORT_MAX', 59999)),
  };
  execFileSync('bash', ['-c', '. scripts/rtpengine.sh && ensure_rtpengine'], { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
  const pidFile = join(dir, 'run', 'rtpengine.pid');
  if (!existsSync(pidFile)) throw new Error(`an rtpengine already answers on ng port ${ngPort}: stop it or set BENCH_RTPENGINE_NG_PORT`);
  return { pid: Number(readFileSync(pidFile, 'utf8')), ngPort };
}

/**
 * Waits until rtpengine holds no call: a deleted call keeps its ports for rtpengine's delete delay
 * (30 s by default), and the next stack's calls must not find them taken.
 */
async function mediaReleased(ngPort: number): Promise<number> {
  const ng = new NgClient({ timeout: 2000 });
  ng.on('error', () => undefined);
  const t0 = Date.now();
  try {
    while (Date.now() - t0 < 90_000) {
      // Every call rtpengine still holds, deleted ones waiting out the delay included.
      const r = await ng.statistics({ host: '127.0.0.1', port: ngPort }, {}).catch(() => null);
      const stats = r?.statistics as { currentstatistics?: { sessionstotal?: number } } | undefined;
      if (stats?.currentstatistics?.sessionstotal === 0) break;
      await sleep(1000);
    }
  } finally {
    ng.close();
  }
  return (Date.now() - t0) / 1000;
}

/** rtpengine's open-file limit: four UDP sockets per anchored call, so it bounds the calls it can hold. */
function openFileLimit(pid: number): number {
  const row = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  return Number(row?.split(/\s+/)[3] ?? NaN);
}

runBench('sip-app-calls-', main, async () => {
  await flushRedisDb(REDIS_URL).catch(() => undefined);
  if (!KEEP) await dropBenchDatabase(DB_URL).catch((err: unknown) => console.error(`could not drop the bench database: ${String(err)}`));
});
