import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { cpuSeconds, freePort, LoopStats, percentile, readEdgeSnapshot, rssMiB, runSipp, sleep } from '../sip-edge/bench-support';

/** A process whose CPU (and RSS) is read around each step. */
export interface Watched {
  name: string;
  pid: number;
  /** Its gc-preload file: event-loop delay and GC pauses during the step. */
  memFile?: string;
}

export interface StepResult {
  offered: number;
  /** Complete registrations (200 received) per second of sipp's wall time. */
  rate: number;
  successful: number;
  failed: number;
  p50: number;
  p99: number;
  /** CPU per complete registration, µs, by process name (and `sipp`). */
  cpuUs: Record<string, number>;
  rssPeak: Record<string, number>;
  loop: Record<string, string>;
}

/**
 * sipp's socket buffers as in bench/sip-edge (4 MiB: with the 64 KiB default sipp drops responses itself);
 * -l caps outstanding registrations at two seconds' worth, -timeout bounds the step.
 */
function sippArgs(target: string, scenario: string, csv: string, rate: number, count: number, localPort: number, timeoutS: number): string[] {
  return [
    target, '-sf', scenario, '-inf', csv, '-i', '127.0.0.1', '-p', String(localPort), '-r', String(rate), '-rp', '1000',
    '-m', String(count), '-l', String(rate * 2), '-timeout', `${timeoutS}s`, '-max_socket', '100', '-buff_size', String(4 * 1024 * 1024),
  ];
}

export interface LadderOptions {
  target: string;
  scenario: string;
  csv: string;
  seconds: number;
  dir: string;
  watched: Watched[];
}

/**
 * Not measured: JIT-compiles every process and, for the app, loads part of its account cache from Postgres
 * (a cold device costs a query, so the app is much slower here than later). Returns a line to print.
 */
export async function warmUp(o: LadderOptions, rate: number, count: number): Promise<string> {
  const run = await runSipp(sippArgs(o.target, o.scenario, o.csv, rate, count, await freePort('udp'), 60), mkdtempSync(join(o.dir, 'warm-')));
  if (run.successful === 0) throw new Error(`warm-up: no registration completed:\n${run.stdout.slice(-3000)}`);
  return `${run.successful}/${count} complete (${run.failed} failed) in ${run.elapsedS.toFixed(1)} s at ${rate}/s offered = ${(run.successful / run.elapsedS).toFixed(0)}/s`;
}

export async function runStep(o: LadderOptions, rate: number): Promise<StepResult> {
  const cpu0 = o.watched.map((w) => cpuSeconds(w.pid));
  const loops = o.watched.map(() => new LoopStats());
  const peaks = o.watched.map((w) => rssMiB(w.pid));
  const count = rate * o.seconds;
  const running = runSipp(sippArgs(o.target, o.scenario, o.csv, rate, count, await freePort('udp'), o.seconds + 30), mkdtempSync(join(o.dir, `step-${rate}-`)));
  let done = false;
  void running.then(() => (done = true));
  while (!done) {
    o.watched.forEach((w, i) => {
      peaks[i] = Math.max(peaks[i], rssMiB(w.pid));
      if (w.memFile) loops[i].add(readEdgeSnapshot(w.memFile)?.loop);
    });
    await sleep(500);
  }
  const run = await running;
  const cpu1 = o.watched.map((w) => cpuSeconds(w.pid));
  const sorted = run.rtdMs.slice().sort((a, b) => a - b);
  const per = (s: number) => (run.successful ? (s * 1e6) / run.successful : NaN);
  const cpuUs: Record<string, number> = { sipp: per(run.cpuS) };
  const rssPeak: Record<string, number> = {};
  const loop: Record<string, string> = {};
  o.watched.forEach((w, i) => {
    cpuUs[w.name] = per(cpu1[i] - cpu0[i]);
    rssPeak[w.name] = peaks[i];
    if (w.memFile) loop[w.name] = loops[i].format();
  });
  if (run.code !== 0 && run.successful === 0) console.log(run.stdout.split('\n').slice(-15).join('\n'));
  return {
    offered: rate,
    rate: run.successful / Math.max(0.001, run.elapsedS),
    successful: run.successful,
    failed: run.failed,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    cpuUs,
    rssPeak,
    loop,
  };
}

export function formatStep(name: string, s: StepResult): string {
  const cpu = Object.entries(s.cpuUs)
    .map(([k, v]) => `${k} ${Number.isFinite(v) ? v.toFixed(0) : 'n/a'}`)
    .join(', ');
  const loops = Object.entries(s.loop).map(([k, v]) => `\n        ${k} loop: ${v}`).join('');
  return (
    `   ${name.padEnd(5)}${String(s.offered).padStart(5)}/s offered: ${s.rate.toFixed(0).padStart(5)}/s complete (${s.successful} ok, ${s.failed} failed), ` +
    `p50 ${s.p50} ms, p99 ${s.p99} ms | CPU µs/registration: ${cpu}${loops}`
  );
}
