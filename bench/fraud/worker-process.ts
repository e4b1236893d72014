import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

export interface BenchWorker {
  child: ChildProcess;
  /** User+system CPU seconds the worker process has used so far. */
  cpuSeconds: () => number;
  stop: () => Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

/** The built worker (dist/apps/worker/src/main.js), started as production starts it, with the recording sink. */
export async function startWorker(env: Record<string, string>): Promise<BenchWorker> {
  const port = await freePort();
  const main = resolve(__dirname, '../../apps/worker/src/main.js');
  const child = spawn(process.execPath, [main], {
    env: {
      // A throwaway audit key when the caller has none: the recording sink writes no audit entries.
      AUDIT_HMAC_KEY: randomBytes(32).toString('hex'),
      ...process.env,
      ...env,
      WORKER_OPS_PORT: String(port),
      FRAUD_FINDINGS_SINK: 'record',
      MAINTENANCE_ENABLED: 'false',
      LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const until = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`worker exited with code ${child.exitCode} during start-up`);
    const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > until) throw new Error('worker not ready after 30 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  const ticks = 100; // USER_HZ on Linux
  return {
    child,
    cpuSeconds: () => {
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) / ticks;
    },
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}
