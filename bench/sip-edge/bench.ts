import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cpuSeconds, edgeGauges, formatMemory, freePort, LoopStats, maxMemory, percentile, readEdgeMemory, readEdgeSnapshot, rssMiB, runSipp, sleep,
  startApp, waitForTcp, type BenchSummary, type EdgeMemory, type SippRun,
} from './bench-support';

/**
 * Load test of the SIP edge with sipp, loopback only: registrations/s (UDP and TLS via stunnel) with
 * p50/p99, B2BUA call setups/s with held calls, and the edge's RSS before/during/after.
 * Run with `bash bench/sip-edge/run.sh`; knobs are env vars (see README in run.sh).
 */
const env = (name: string, def: number) => Number(process.env[name] ?? def);
const REG_RATE = env('REG_RATE', 4500);
/** Comma list of UDP registration rates to measure in turn (default: REG_RATE). */
const REG_RATES = (process.env.REG_RATES ?? String(REG_RATE)).split(',').map(Number).filter((n) => n > 0);
const REG_SECONDS = env('REG_SECONDS', 15);
const TLS_RATE = env('TLS_RATE', REG_RATE);
const APPS = env('APPS', 2);
const CALL_RATE = env('CALL_RATE', 1200);
const CALL_SECONDS = env('CALL_SECONDS', 10);
const CALL_HOLD_MS = env('CALL_HOLD_MS', 10_000);
const SETTLE_S = env('SETTLE_S', 45);
const SECRET = 'bench-secret-0123456789';
const PHASES = new Set((process.env.PHASES ?? 'udp,tls,calls').split(','));
const root = join(__dirname, '..', '..', '..');
/** The edge under test; EDGE_MAIN points the bench at another build (e.g. an older commit's) for before/after runs. */
const EDGE_MAIN = process.env.EDGE_MAIN ?? join(root, 'dist', 'apps', 'sip-edge', 'src', 'main.js');
/**
 * sipp's socket buffers default to 64 KiB: at a few thousand responses per second a scheduling hiccup of
 * sipp overflows them, the kernel drops responses and sipp's 500 ms retransmission lands in the tail.
 * That is the load generator's loss, not the edge's, so give sipp buffers as large as the edge's.
 */
const SIPP_BUFFERS = ['-buff_size', String(4 * 1024 * 1024)];
/**
 * Extra environment for the edge only, `NAME=value` separated by spaces. run.sh passes the allocator
 * settings the stack's start scripts give the edge (STACK_ENV in scripts/stack-lib.sh), so the bench
 * measures the edge as it runs in production.
 */
const EDGE_ENV = Object.fromEntries(
  (process.env.EDGE_ENV ?? '')
    .split(' ')
    .filter((kv) => kv.includes('='))
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const scenarios = join(root, 'bench', 'sip-edge', 'scenarios');
/**
 * Baseline mode: run the same load against a drachtio-server binary you built yourself from its public
 * source (nothing in this repository builds it). No V8 or edge gauges then, only RSS and CPU.
 */
const DRACHTIO_BIN = process.env.DRACHTIO_BIN;
const SERVER = DRACHTIO_BIN ? 'drachtio-server' : 'edge';
/** Where to write the summary as JSON, for compare.ts's side-by-side table. */
const SUMMARY_FILE = process.env.BENCH_SUMMARY_FILE;

const children: ChildProcess[] = [];
const spawnTracked = (cmd: string, args: string[], opts: Parameters<typeof spawn>[2]) => {
  const c = spawn(cmd, args, opts ?? {});
  children.push(c);
  return c;
};

function usersCsv(dir: string, n: number): string {
  const lines = ['SEQUENTIAL'];
  for (let i = 0; i < n; i++) lines.push(`u${i};[authentication username=u${i} password=pw]`);
  const file = join(dir, 'users.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function report(title: string, run: SippRun, rateTarget?: number): { rate: number; p50: number; p99: number; failed: number; cpuUs: number } {
  const sorted = run.rtdMs.slice().sort((a, b) => a - b);
  const rate = run.successful / Math.max(0.001, run.elapsedS);
  const p50 = percentile(sorted, 50);
  const p99 = percentile(sorted, 99);
  console.log(`\n== ${title}`);
  console.log(`   successful ${run.successful}, failed ${run.failed}, sipp exit ${run.code}, wall ${run.elapsedS.toFixed(1)} s`);
  console.log(`   rate       ${rate.toFixed(0)}/s${rateTarget ? ` (offered ${rateTarget}/s)` : ''}`);
  if (sorted.length) console.log(`   latency    p50 ${p50} ms, p99 ${p99} ms (${sorted.length} samples)`);
  if (pendingCpuLine) console.log(pendingCpuLine);
  if (pendingLoopLine) console.log(pendingLoopLine);
  pendingCpuLine = '';
  pendingLoopLine = '';
  if (run.code !== 0) console.log(run.stdout.split('\n').slice(-15).join('\n'));
  return { rate, p50, p99, failed: run.failed, cpuUs: lastCpuUs };
}

let pendingCpuLine = '';
/** The server's CPU per unit in the last phase (µs), for the summary. */
let lastCpuUs = NaN;

/** Runs a phase and notes the CPU the edge and the apps spent per completed unit (µs), printed with its report. */
async function withCpu<T extends { successful: number; cpuS: number }>(edgePid: number, apps: ChildProcess[], unit: string, run: () => Promise<T>): Promise<T> {
  const appCpu = () => apps.reduce((sum, a) => sum + (a.pid ? cpuSeconds(a.pid) : 0), 0);
  const [e0, a0] = [cpuSeconds(edgePid), appCpu()];
  const result = await run();
  const [e1, a1] = [cpuSeconds(edgePid), appCpu()];
  const per = (s: number) => (result.successful ? ((s * 1e6) / result.successful).toFixed(0) : 'n/a');
  lastCpuUs = result.successful ? ((e1 - e0) * 1e6) / result.successful : NaN;
  pendingCpuLine =
    `   CPU        ${SERVER} ${(e1 - e0).toFixed(1)} s = ${per(e1 - e0)} µs/${unit}; srf apps ${(a1 - a0).toFixed(1)} s = ${per(a1 - a0)} µs/${unit}; ` +
    `sipp ${result.cpuS.toFixed(1)} s = ${per(result.cpuS)} µs/${unit}`;
  return result;
}

let memFile = '';

/** Peak RSS (from /proc, every 500 ms) and peaks of the edge's own memory gauges while `until` runs. */
async function sampleRss(pid: number, until: Promise<unknown>): Promise<{ rss: number; mem?: EdgeMemory }> {
  let peak = 0;
  let mem: EdgeMemory | undefined;
  const loop = new LoopStats();
  let done = false;
  void until.then(() => (done = true));
  while (!done) {
    peak = Math.max(peak, rssMiB(pid));
    const snap = readEdgeSnapshot(memFile);
    mem = maxMemory(mem, snap?.mem);
    loop.add(snap?.loop);
    await sleep(500);
  }
  if (!DRACHTIO_BIN) pendingLoopLine = `   edge loop  ${loop.format()}`;
  return { rss: peak, mem };
}

let pendingLoopLine = '';

/** Forces a full GC in the edge and returns its memory afterwards (nothing for drachtio-server). */
async function memoryAfterGc(pid: number): Promise<EdgeMemory | undefined> {
  if (DRACHTIO_BIN) return undefined;
  process.kill(pid, 'SIGUSR2');
  await sleep(1000);
  const m = readEdgeMemory(memFile);
  return m ? { ...m, rss: rssMiB(pid) } : undefined;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sip-edge-bench-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  memFile = join(dir, 'edge-memory.json');
  const [udpPort, tlsPort, adminPort, opsPort] = [await freePort('udp'), await freePort('tcp'), await freePort('tcp'), await freePort('tcp')];
  const edge = DRACHTIO_BIN
    ? startDrachtio(DRACHTIO_BIN, dir, { udpPort, tlsPort, adminPort, key, cert })
    : spawnTracked('node', [...(process.env.EDGE_NODE_FLAGS ?? '').split(' ').filter(Boolean), '--expose-gc', '-r', join(__dirname, 'gc-preload.js'), EDGE_MAIN], {
    env: {
      ...process.env,
      EDGE_SECRET: SECRET,
      EDGE_ADMIN_PORT: String(adminPort),
      EDGE_OPS_PORT: String(opsPort),
      EDGE_CONTACTS: `sip:127.0.0.1:${udpPort};transport=udp,sips:127.0.0.1:${tlsPort};transport=tls`,
      EDGE_TLS_KEY: key,
      EDGE_TLS_CERT: cert,
      LOG_LEVEL: 'warn',
      REDIS_URL: undefined,
      BENCH_MEM_FILE: memFile,
      ...EDGE_ENV,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (!edge.pid) throw new Error('edge did not start');
  await waitForTcp(adminPort);
  const appEnv = { ADMIN_PORT: String(adminPort), EDGE_SECRET: SECRET, NONCE_KEY: randomBytes(32).toString('hex') };
  const registrars: ChildProcess[] = [];
  for (let i = 0; i < APPS; i++) registrars.push(await startApp(join(__dirname, 'apps', 'registrar-app.js'), appEnv));
  children.push(...registrars);
  await sleep(500);
  const baseMem = await memoryAfterGc(edge.pid);
  const baseline = rssMiB(edge.pid);
  const gauges = () => (DRACHTIO_BIN ? Promise.resolve({ heapMiB: NaN, transactions: NaN, dialogs: NaN }) : edgeGauges(opsPort));
  const baseGauges = await gauges();
  console.log(`${SERVER} pid ${edge.pid}: udp ${udpPort}, tls ${tlsPort}, admin ${adminPort}; ${APPS} srf app(s); baseline RSS ${baseline} MiB`);
  console.log(`edge node flags: ${process.env.EDGE_NODE_FLAGS?.trim() || '(none)'}; extra environment: ${Object.keys(EDGE_ENV).length ? JSON.stringify(EDGE_ENV) : '(none)'}`);

  const csv = usersCsv(dir, 20_000);
  const regArgs = (target: string, rate: number, count = rate * REG_SECONDS) => [
    target, '-sf', join(scenarios, 'reg.xml'), '-inf', csv, '-i', '127.0.0.1', '-r', String(rate), '-rp', '1000',
    '-m', String(count), '-l', String(rate * 2), '-timeout', '90s', '-max_socket', '100', ...SIPP_BUFFERS,
  ];
  const edgePid = edge.pid;
  let regPeak = baseline;
  let regPeakMem: EdgeMemory | undefined;
  // Warm-up (not measured): JIT-compiles the edge, the apps and srf; the first seconds are otherwise slow.
  const warmDir = mkdtempSync(join(dir, 'warm-'));
  await runSipp([...regArgs(`127.0.0.1:${udpPort}`, 1000, 3000), '-p', String(await freePort('udp'))], warmDir);
  await sleep(1000);
  let udp = { rate: NaN, p50: NaN, p99: NaN, failed: 0, cpuUs: NaN };
  if (PHASES.has('udp')) {
    for (const rate of REG_RATES) {
      const udpDir = mkdtempSync(join(dir, 'udp-'));
      const udpPortLocal = await freePort('udp');
      const udpRun = await withCpu(edgePid, registrars, 'registration', async () => {
        const run = runSipp([...regArgs(`127.0.0.1:${udpPort}`, rate), '-p', String(udpPortLocal)], udpDir);
        const sampled = await sampleRss(edgePid, run);
        regPeak = Math.max(regPeak, sampled.rss);
        regPeakMem = maxMemory(regPeakMem, sampled.mem);
        return run;
      });
      udp = report(`REGISTER → 401 → REGISTER+digest → 200 over UDP at ${rate}/s (${APPS} srf registrar apps)`, udpRun, rate);
    }
  }
  let tls = { rate: NaN, p50: NaN, p99: NaN, failed: 0, cpuUs: NaN };
  if (PHASES.has('tls')) {
    const plainPort = await freePort('tcp');
    const stunnelConf = join(dir, 'stunnel.conf');
    writeFileSync(stunnelConf, `foreground = yes\npid =\n[sip]\nclient = yes\naccept = 127.0.0.1:${plainPort}\nconnect = 127.0.0.1:${tlsPort}\n`);
    const stunnel = spawnTracked('stunnel4', [stunnelConf], { stdio: 'ignore' });
    await waitForTcp(plainPort);
    const tlsDir = mkdtempSync(join(dir, 'tls-'));
    const tlsRun = await withCpu(edgePid, registrars, 'registration', async () => {
      // reg-tls.xml writes `Via: SIP/2.0/TLS` (sipp -t t1 would say TCP, which drachtio-server drops over TLS).
      const args = regArgs(`127.0.0.1:${plainPort}`, TLS_RATE);
      args[2] = join(scenarios, 'reg-tls.xml');
      const run = runSipp([...args, '-t', 't1'], tlsDir);
      const sampled = await sampleRss(edgePid, run);
      regPeak = Math.max(regPeak, sampled.rss);
      regPeakMem = maxMemory(regPeakMem, sampled.mem);
      return run;
    });
    tls = report(`same over TLS (sipp -t t1 → stunnel → ${SERVER} TLS)`, tlsRun, TLS_RATE);
    stunnel.kill();
  }
  registrars.forEach((r) => r.kill());
  await sleep(1000);

  let beforeCalls = NaN;
  let callPeak = NaN;
  let callPeakMem: EdgeMemory | undefined;
  let setupRate = NaN;
  let callsFailed = 0;
  let maxConcurrent = 0;
  let callCpuUs = NaN;
  if (PHASES.has('calls')) {
    const uasPort = await freePort('udp');
    const b2bs: ChildProcess[] = [];
    for (let i = 0; i < APPS; i++) b2bs.push(await startApp(join(__dirname, 'apps', 'b2bua-app.js'), { ...appEnv, B_LEG: `sip:uas@127.0.0.1:${uasPort}` }));
    children.push(...b2bs);
    const total = CALL_RATE * CALL_SECONDS;
    const timeout = `${CALL_SECONDS + CALL_HOLD_MS / 1000 + 60}s`;
    const uas = runSipp(['-sn', 'uas', '-i', '127.0.0.1', '-p', String(uasPort), '-m', String(total), '-timeout', timeout, ...SIPP_BUFFERS], mkdtempSync(join(dir, 'uas-')));
    await sleep(500);
    beforeCalls = rssMiB(edgePid);
    const uacPort = await freePort('udp');
    const uacRun = await withCpu(edgePid, b2bs, 'call', async () => {
      const run = runSipp(
        [
          `127.0.0.1:${udpPort}`, '-sn', 'uac', '-s', 'bench', '-i', '127.0.0.1', '-p', String(uacPort), '-r', String(CALL_RATE), ...SIPP_BUFFERS,
          '-m', String(total), '-d', String(CALL_HOLD_MS), '-l', String(CALL_RATE * (CALL_HOLD_MS / 1000 + 5)), '-timeout', timeout,
        ],
        mkdtempSync(join(dir, 'uac-')),
      );
      const sampled = await sampleRss(edgePid, run);
      callPeak = sampled.rss;
      callPeakMem = sampled.mem;
      return run;
    });
    callCpuUs = report(`B2BUA calls (INVITE/100/180/200/ACK, held ${CALL_HOLD_MS / 1000} s, BYE), ${APPS} srf B2BUA apps`, uacRun, CALL_RATE).cpuUs;
    const uasResult = await uas;
    console.log(`   far-end sipp UAS: successful ${uasResult.successful}, failed ${uasResult.failed}, exit ${uasResult.code}`);
    // Calls are set up during the offering period; the wall time also holds the last calls for CALL_HOLD_MS.
    setupRate = uacRun.successful / Math.max(1, uacRun.elapsedS - CALL_HOLD_MS / 1000);
    callsFailed = uacRun.failed;
    maxConcurrent = uacRun.maxCurrent;
    console.log(`   setups/s ~${setupRate.toFixed(0)} (offered ${CALL_RATE}/s), peak concurrent calls ${maxConcurrent}`);
    b2bs.forEach((b) => b.kill());
  }
  console.log(`\n.. waiting ${SETTLE_S} s for transaction timers (J/K/D) to expire`);
  await sleep(SETTLE_S * 1000);
  const beforeGc = rssMiB(edgePid);
  const afterMem = await memoryAfterGc(edgePid);
  const after = rssMiB(edgePid);
  const afterGauges = await gauges();

  console.log(`\n== ${SERVER} memory (RSS)`);
  console.log(`   baseline ${baseline} MiB | registrations peak ${regPeak} MiB | before calls ${beforeCalls} MiB | calls peak ${callPeak} MiB | after ${after} MiB (${beforeGc} MiB before the forced GC)`);
  console.log('   where it is (peaks are per gauge):');
  console.log(`     baseline, after GC      ${formatMemory(baseMem)}`);
  console.log(`     registrations peak      ${formatMemory(regPeakMem)}`);
  if (callPeakMem) console.log(`     calls peak              ${formatMemory(callPeakMem)}`);
  console.log(`     after settling, GC      ${formatMemory(afterMem)}`);
  if (process.env.GDB_TRIM === '1') {
    // Diagnostic: how much of the remaining RSS is free memory glibc malloc kept rather than returned.
    try {
      // malloc_stats() prints each arena's system/in-use bytes on the edge's stderr (shown above this line).
      execFileSync('gdb', ['-p', String(edgePid), '-batch', '-ex', 'call (void) malloc_stats()', '-ex', 'call (int) malloc_trim(0)'], {
        stdio: 'ignore',
        timeout: 30_000,
      });
      console.log(`     after malloc_trim(0)    RSS ${rssMiB(edgePid)} MiB (via gdb; GDB_TRIM=1)`);
    } catch (err) {
      console.log(`     malloc_trim via gdb failed: ${String(err)}`);
    }
  }
  console.log(`   V8 heap in use after a forced GC: baseline ${baseGauges.heapMiB} MiB, after ${afterGauges.heapMiB} MiB; live transactions ${afterGauges.transactions}, dialogs ${afterGauges.dialogs}`);
  console.log('\n== summary');
  console.log(`   UDP registrations/s ${udp.rate.toFixed(0)} (target ≥ 4500), p99 ${udp.p99} ms (target < 20 ms)`);
  console.log(`   TLS registrations/s ${tls.rate.toFixed(0)} = ${((tls.rate / udp.rate) * 100).toFixed(0)}% of UDP (target ≥ 70%)`);
  console.log(`   B2BUA setups/s ~${setupRate.toFixed(0)} with ${maxConcurrent} calls held at peak (target ≥ 1200 with 12,000 held), failed ${callsFailed}`);
  if (SUMMARY_FILE) {
    const summary: BenchSummary = {
      server: SERVER,
      udp,
      tls,
      calls: { setupRate, maxConcurrent, failed: callsFailed, cpuUs: callCpuUs },
      rss: { start: baseline, regPeak, callPeak, after },
    };
    writeFileSync(SUMMARY_FILE, JSON.stringify(summary, null, 2));
  }
}

/** Starts drachtio-server with the contacts, admin port and secret the edge gets (baseline mode). */
function startDrachtio(bin: string, dir: string, p: { udpPort: number; tlsPort: number; adminPort: number; key: string; cert: string }): ChildProcess {
  const conf = join(dir, 'drachtio.conf.xml');
  writeFileSync(
    conf,
    `<drachtio>
  <admin port="${p.adminPort}" secret="${SECRET}">127.0.0.1</admin>
  <sip>
    <contacts>
      <contact>sip:127.0.0.1:${p.udpPort};transport=udp</contact>
      <contact>sips:127.0.0.1:${p.tlsPort};transport=tls</contact>
    </contacts>
    <tls><key-file>${p.key}</key-file><cert-file>${p.cert}</cert-file><chain-file>${p.cert}</chain-file></tls>
  </sip>
  <cdrs>false</cdrs>
  <logging><console/><sofia-loglevel>0</sofia-loglevel><loglevel>warning</loglevel></logging>
</drachtio>
`,
  );
  // Its log (under overload srf's B2BUA makes it log an error per failed call) goes to a file, not the report.
  const log = openSync(join(dir, 'drachtio.log'), 'w');
  console.log(`drachtio-server log: ${join(dir, 'drachtio.log')}`);
  return spawnTracked(bin, ['-f', conf], { stdio: ['ignore', log, log] });
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of children) if (c.exitCode === null) c.kill();
  });
