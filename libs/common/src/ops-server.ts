import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Registry } from 'prom-client';

export type ReadinessCheck = () => Promise<void>;

export interface OpsServerOptions {
  host: string;
  port: number;
  registry: Registry;
  /** Named checks for /health/ready; each rejects when its dependency is down. */
  checks?: Record<string, ReadinessCheck>;
}

export function createMetricsRegistry(app: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  collectDefaultMetrics({ register: registry });
  return registry;
}

async function runChecks(checks: Record<string, ReadinessCheck>): Promise<{ ok: boolean; body: object }> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await Promise.race([
          check(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref()),
        ]);
        return [name, { status: 'up' }] as const;
      } catch {
        return [name, { status: 'down' }] as const;
      }
    }),
  );
  const ok = entries.every(([, v]) => v.status === 'up');
  return { ok, body: { status: ok ? 'ok' : 'error', checks: Object.fromEntries(entries) } };
}

/**
 * Health and Prometheus endpoints for the processes that are not HTTP apps (SIP edge, SIP app, worker):
 * GET /health/live, GET /health/ready, GET /metrics.
 */
export async function startOpsServer(opts: OpsServerOptions): Promise<{ server: Server; port: number }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, body: string, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, JSON.stringify({ message: 'Method not allowed.' }));
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health/live') return send(200, JSON.stringify({ status: 'ok' }));
    if (path === '/health/ready') {
      void runChecks(opts.checks ?? {}).then(({ ok, body }) => send(ok ? 200 : 503, JSON.stringify(body)));
      return;
    }
    if (path === '/metrics') {
      void opts.registry.metrics().then(
        (text) => send(200, text, opts.registry.contentType),
        () => send(500, JSON.stringify({ message: 'metrics unavailable' })),
      );
      return;
    }
    send(404, JSON.stringify({ message: 'Not Found' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
