import { Agent, request } from 'node:http';

export interface PacedResult {
  sent: number;
  rate: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: number;
}

/**
 * Constant-throughput load, wrk2-style: requests leave on an even schedule whatever the answers do,
 * and each latency is measured from the moment its request was *due*, so a stall in the server is
 * charged to every request it delayed (no coordinated omission). autocannon's `overallRate` sends
 * in bursts, which measures its own queueing more than the server's.
 */
export async function pacedLoad(
  url: string,
  headers: Record<string, string>,
  rate: number,
  durationS: number,
): Promise<PacedResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const get = () =>
    new Promise<number>((resolve, reject) => {
      const req = request(url, { headers, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  const latencies: number[] = [];
  let errors = 0;
  const total = rate * durationS;
  const start = performance.now();
  const interval = 1000 / rate;
  let sent = 0;
  const inflight = new Set<Promise<void>>();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) {
        const due = start + sent * interval;
        sent++;
        const p = get()
          .then((status) => {
            if (status !== 200) errors++;
            latencies.push(performance.now() - due);
          })
          .catch(() => {
            errors++;
          })
          .finally(() => inflight.delete(p));
        inflight.add(p);
      }
      if (sent < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  await Promise.all(inflight);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const q = (f: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * f))] ?? NaN;
  const elapsed = (performance.now() - start) / 1000;
  return { sent, rate: sent / elapsed, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: latencies.at(-1) ?? NaN, errors };
}
