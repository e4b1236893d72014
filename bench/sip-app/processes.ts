import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, sleep, startApp, waitForTcp } from '../sip-edge/bench-support';

/** Every process the bench starts, so that each is stopped (by pid) however the bench ends. */
const started: ChildProcess[] = [];

const flags = (s: string | undefined) => (s ?? '').split(' ').filter(Boolean);

export const root = join(__dirname, '..', '..', '..');
const gcPreload = join(root, 'dist', 'bench', 'sip-edge', 'gc-preload.js');

export interface Edge {
  proc: ChildProcess;
  pid: number;
  udpPort: number;
  adminPort: number;
  memFile: string;
}

/**
 * The edge as bench/sip-edge runs it (the stack's node flags, gc-preload for memory readings and a forced
 * GC on SIGUSR2), UDP only, no Redis; its flood guard is off (the bench sends everything from 127.0.0.1,
 * which the guard never limits anyway).
 */
export async function startEdge(dir: string, secret: string, tag: string): Promise<Edge> {
  const [udpPort, adminPort, opsPort] = [await freePort('udp'), await freePort('tcp'), await freePort('tcp')];
  const memFile = join(dir, `${tag}-edge-memory.json`);
  const proc = track(
    spawn('node', [...flags(process.env.EDGE_NODE_FLAGS), '--expose-gc', '-r', gcPreload, join(root, 'dist', 'apps', 'sip-edge', 'src', 'main.js')], {
      env: {
        ...process.env,
        EDGE_SECRET: secret,
        EDGE_ADMIN_PORT: String(adminPort),
        EDGE_OPS_PORT: String(opsPort),
        EDGE_CONTACTS: `sip:127.0.0.1:${udpPort};transport=udp`,
        EDGE_FLOOD_DENSITY: '0',
        LOG_LEVEL: 'warn',
        REDIS_URL: undefined,
        BENCH_MEM_FILE: memFile,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    }),
  );
  if (!proc.pid) throw new Error('edge did not start');
  await waitForTcp(adminPort);
  return { proc, pid: proc.pid, udpPort, adminPort, memFile };
}

/** bench/sip-edge's minimal registrar (MD5 digest, HMAC nonce, every password `pw`), `n` instances. */
export async function startRegistrars(n: number, adminPort: number, secret: string, nonceKey: string): Promise<ChildProcess[]> {
  const apps: ChildProcess[] = [];
  const script = join(root, 'dist', 'bench', 'sip-edge', 'apps', 'registrar-app.js');
  for (let i = 0; i < n; i++) apps.push(track(await startApp(script, { ADMIN_PORT: String(adminPort), EDGE_SECRET: secret, NONCE_KEY: nonceKey })));
  return apps;
}

export interface SipApp {
  proc: ChildProcess;
  pid: number;
  opsPort: number;
  memFile: string;
  logFile: string;
}

/**
 * dist/apps/sip/src/main.js with the node flags the stack gives it (STACK_NODE_FLAGS[sip], passed by run.sh
 * as APP_NODE_FLAGS) plus --expose-gc and gc-preload, for the forced GC before the memory readings only.
 * Its log goes to a file. Ready when /health/ready says Postgres, Redis and drachtio are up.
 */
export async function startSipApp(dir: string, env: Record<string, string>): Promise<SipApp> {
  const opsPort = await freePort('tcp');
  const memFile = join(dir, 'app-memory.json');
  const logFile = join(dir, 'sip-app.log');
  const log = openSync(logFile, 'a');
  const proc = track(
    spawn('node', [...flags(process.env.APP_NODE_FLAGS), '--expose-gc', '-r', gcPreload, join(root, 'dist', 'apps', 'sip', 'src', 'main.js')], {
      env: { ...process.env, ...env, SIP_OPS_HOST: '127.0.0.1', SIP_OPS_PORT: String(opsPort), BENCH_MEM_FILE: memFile },
      cwd: dir,
      stdio: ['ignore', log, log],
    }),
  );
  if (!proc.pid) throw new Error('sip app did not start');
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`sip app exited (${proc.exitCode}); see ${logFile}:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
    const ok = await fetch(`http://127.0.0.1:${opsPort}/health/ready`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`sip app not ready after 30 s; see ${logFile}`);
    await sleep(250);
  }
  return { proc, pid: proc.pid, opsPort, memFile, logFile };
}

/** The app's Prometheus text, for its own counters (REGISTER outcomes, handling time). */
export async function appMetrics(opsPort: number): Promise<string> {
  return fetch(`http://127.0.0.1:${opsPort}/metrics`).then((r) => r.text());
}

function track(c: ChildProcess): ChildProcess {
  started.push(c);
  return c;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stop(c: ChildProcess, graceMs = 10_000): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise<void>((r) => c.once('exit', () => r()));
  c.kill('SIGTERM');
  const timer = setTimeout(() => c.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/**
 * Last resort when the bench ends: every process it started that still runs, and any direct child left
 * (sipp runs started by bench-support), by pid.
 */
export function killEverything(): void {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const pid of directChildren()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function directChildren(): number[] {
  try {
    return readdirSync(`/proc/${process.pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${process.pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/**
 * Runs a bench in a fresh work directory: every process it started is killed on SIGINT/SIGTERM and at the end,
 * then `cleanUp` (databases, the directory unless BENCH_KEEP=1); the exit code is 1 when a target was missed.
 */
export function runBench(prefix: string, main: (dir: string) => Promise<boolean>, cleanUp: (dir: string) => Promise<void>): void {
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.on(sig, () => {
      killEverything();
      process.exit(130);
    });
  const dir = mkdtempSync(join(tmpdir(), prefix));
  main(dir)
    .then((ok) => {
      if (!ok) process.exitCode = 1;
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    })
    .finally(async () => {
      killEverything();
      if (process.env.BENCH_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
      await cleanUp(dir);
    });
}
