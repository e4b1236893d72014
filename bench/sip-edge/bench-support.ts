import { spawn, fork, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';

export async function freePort(kind: 'udp' | 'tcp'): Promise<number> {
  if (kind === 'udp') {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    const port = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  }
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export async function waitForTcp(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ port, host: '127.0.0.1' }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Resident set size of a process in MiB, from /proc. */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

/** The edge's memory as gc-preload writes it (BENCH_MEM_FILE), in MiB. */
export interface EdgeMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  /** Memory outside the V8 heap that V8 knows of: mostly Buffers' backing stores (arrayBuffers). */
  external: number;
  arrayBuffers: number;
}

const mib = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

/** Event-loop and GC figures of one gc-preload snapshot (covering the second before it). */
export interface EdgeLoopSample {
  at: number;
  loopDelayP99: number;
  loopDelayMax: number;
  gcPauseMs: number;
  gcPauseMaxMs: number;
}

export function readEdgeSnapshot(file: string): { mem: EdgeMemory; loop: EdgeLoopSample } | undefined {
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as Record<keyof EdgeMemory | keyof EdgeLoopSample, number>;
    return {
      mem: { rss: mib(m.rss), heapUsed: mib(m.heapUsed), heapTotal: mib(m.heapTotal), external: mib(m.external), arrayBuffers: mib(m.arrayBuffers) },
      loop: { at: m.at, loopDelayP99: m.loopDelayP99, loopDelayMax: m.loopDelayMax, gcPauseMs: m.gcPauseMs, gcPauseMaxMs: m.gcPauseMaxMs },
    };
  } catch {
    return undefined;
  }
}

export function readEdgeMemory(file: string): EdgeMemory | undefined {
  return readEdgeSnapshot(file)?.mem;
}

/** Worst per-second event-loop delay and the GC pauses over a phase, from the edge's snapshots. */
export class LoopStats {
  private seen = new Set<number>();
  worstP99 = 0;
  max = 0;
  gcMs = 0;
  gcMaxMs = 0;
  seconds = 0;

  add(s: EdgeLoopSample | undefined): void {
    if (!s || this.seen.has(s.at)) return;
    this.seen.add(s.at);
    this.seconds++;
    this.worstP99 = Math.max(this.worstP99, s.loopDelayP99);
    this.max = Math.max(this.max, s.loopDelayMax);
    this.gcMs += s.gcPauseMs;
    this.gcMaxMs = Math.max(this.gcMaxMs, s.gcPauseMaxMs);
  }

  format(): string {
    if (this.seconds === 0) return 'n/a';
    const share = ((this.gcMs / (this.seconds * 1000)) * 100).toFixed(1);
    return (
      `event-loop delay p99 ≤ ${this.worstP99.toFixed(1)} ms (worst second), max ${this.max.toFixed(1)} ms; ` +
      `GC pauses ${this.gcMs.toFixed(0)} ms (${share}% of ${this.seconds} s), longest ${this.gcMaxMs.toFixed(1)} ms`
    );
  }
}

/** Field-wise maximum (peaks of each gauge, not necessarily at the same instant). */
export function maxMemory(a: EdgeMemory | undefined, b: EdgeMemory | undefined): EdgeMemory | undefined {
  if (!a || !b) return a ?? b;
  return {
    rss: Math.max(a.rss, b.rss),
    heapUsed: Math.max(a.heapUsed, b.heapUsed),
    heapTotal: Math.max(a.heapTotal, b.heapTotal),
    external: Math.max(a.external, b.external),
    arrayBuffers: Math.max(a.arrayBuffers, b.arrayBuffers),
  };
}

export function formatMemory(m: EdgeMemory | undefined): string {
  if (!m) return 'n/a';
  return `RSS ${m.rss} MiB, V8 heap ${m.heapUsed}/${m.heapTotal} MiB used/total, external ${m.external} MiB (Buffers ${m.arrayBuffers} MiB)`;
}

/** Heap in use (MiB) and live transactions/dialogs, from the edge's Prometheus endpoint. */
export async function edgeGauges(opsPort: number): Promise<{ heapMiB: number; transactions: number; dialogs: number }> {
  const text = await fetch(`http://127.0.0.1:${opsPort}/metrics`).then((r) => r.text());
  const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return {
    heapMiB: Math.round((value('nodejs_heap_size_used_bytes') / 1048576) * 10) / 10,
    transactions: value('sip_edge_transactions'),
    dialogs: value('sip_edge_dialogs'),
  };
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Starts an srf app (compiled JS) as a child and waits for its `ready` message. */
export function startApp(script: string, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = fork(script, [], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const timer = setTimeout(() => reject(new Error(`${script} did not connect`)), 10_000);
    child.on('message', (m: unknown) => {
      clearTimeout(timer);
      if (typeof m === 'object' && m !== null && 'ready' in m) resolve(child);
      else reject(new Error(`${script}: ${JSON.stringify(m)}`));
    });
  });
}

export interface SippRun {
  code: number | null;
  elapsedS: number;
  successful: number;
  failed: number;
  /** Highest CurrentCall sample in sipp's periodic statistics. */
  maxCurrent: number;
  rtdMs: number[];
  stdout: string;
  /** CPU seconds sipp itself used (sampled every 500 ms while it ran, so up to 0.5 s short). */
  cpuS: number;
}

/** Runs sipp in `dir`, then reads its -trace_stat CSV (last row) and -trace_rtt CSV. */
export function runSipp(args: string[], dir: string): Promise<SippRun> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn('sipp', [...args, '-nostdin', '-trace_stat', '-fd', '1', '-trace_rtt', '-rtt_freq', '100'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    // sipp's own -timeout does not always fire with calls stuck waiting; stop it ourselves (SIGUSR1 makes
    // it quit gracefully and write its final statistics).
    const limitIdx = args.indexOf('-timeout');
    const limitS = limitIdx >= 0 ? parseInt(args[limitIdx + 1], 10) : 120;
    const killer = setTimeout(() => child.kill('SIGUSR1'), (limitS + 5) * 1000);
    const hardKiller = setTimeout(() => child.kill('SIGKILL'), (limitS + 15) * 1000);
    let cpuS = 0;
    const cpuSampler = setInterval(() => {
      try {
        if (child.pid) cpuS = cpuSeconds(child.pid);
      } catch {
        // sipp just exited
      }
    }, 500);
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-20_000)));
    child.stderr.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-20_000)));
    child.on('close', (code) => {
      clearInterval(cpuSampler);
      clearTimeout(killer);
      clearTimeout(hardKiller);
      const elapsedS = (Date.now() - started) / 1000;
      const stat = readdirSync(dir).find((f) => f.endsWith('_.csv') || (f.endsWith('.csv') && !f.includes('_rtt')));
      const rtt = readdirSync(dir).find((f) => f.includes('_rtt') && f.endsWith('.csv'));
      let successful = 0;
      let failed = 0;
      let maxCurrent = 0;
      if (stat) {
        const lines = readFileSync(join(dir, stat), 'utf8').trim().split('\n');
        const head = lines[0].split(';');
        const last = lines[lines.length - 1].split(';');
        successful = Number(last[head.indexOf('SuccessfulCall(C)')] ?? 0);
        failed = Number(last[head.indexOf('FailedCall(C)')] ?? 0);
        const cur = head.indexOf('CurrentCall');
        for (const line of lines.slice(1)) maxCurrent = Math.max(maxCurrent, Number(line.split(';')[cur]) || 0);
      }
      const rtdMs: number[] = [];
      if (rtt) {
        for (const line of readFileSync(join(dir, rtt), 'utf8').split('\n').slice(1)) {
          const v = Number(line.split(';')[1]);
          if (Number.isFinite(v) && line) rtdMs.push(v);
        }
      }
      resolve({ code, elapsedS, successful, failed, maxCurrent, rtdMs, stdout, cpuS });
    });
  });
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** One bench run's figures, as compare.ts reads them (BENCH_SUMMARY_FILE). */
export interface BenchSummary {
  server: string;
  udp: { rate: number; p50: number; p99: number; failed: number; cpuUs: number };
  tls: { rate: number; p50: number; p99: number; failed: number; cpuUs: number };
  calls: { setupRate: number; maxConcurrent: number; failed: number; cpuUs: number };
  rss: { start: number; regPeak: number; callPeak: number; after: number };
}
