import { InvalidationMessage, parseInvalidation, RedisChannels, REDACTED_PATHS } from '@pbx/common';
import Redis from 'ioredis';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { createApiApp } from '../../apps/api/src/app.factory';
import type { ApiConfig } from '../../apps/api/src/config/api-config';
import { login, seedTenant, seedUser, startApi, TestApi } from './harness';

export const md5 = (s: string) => createHash('md5').update(s).digest('hex');
export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Collects invalidation messages; `next` resolves with the first matching one or rejects after the deadline. */
export async function subscribeInvalidations(url: string) {
  const sub = new Redis(url);
  const seen: InvalidationMessage[] = [];
  sub.on('message', (_channel: string, raw: string) => {
    const m = parseInvalidation(raw);
    if (m) seen.push(m);
  });
  await sub.subscribe(RedisChannels.invalidate);
  return {
    seen,
    async next(
      match: (m: InvalidationMessage) => boolean,
      since: number,
      deadlineMs = 1000,
    ): Promise<InvalidationMessage> {
      const end = Date.now() + deadlineMs;
      for (;;) {
        const hit = seen.find((m) => m.at >= since && match(m));
        if (hit) return hit;
        if (Date.now() > end) throw new Error('no matching invalidation within the deadline');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => sub.quit(),
  };
}

export type InvalidationSubscriber = Awaited<ReturnType<typeof subscribeInvalidations>>;

/**
 * Two tenants with an admin and extensions each, an invalidation subscriber, and a list of every
 * secret a test saw revealed: afterAll asserts none of them reached an audit row.
 */
export interface DeviceSuite {
  api: TestApi;
  ds: DataSource;
  tenantA: { id: string; slug: string };
  tenantB: { id: string; slug: string };
  tokenA: string;
  tokenB: string;
  supervisorToken: string;
  extA: string;
  extA2: string;
  extB: string;
  inv: InvalidationSubscriber;
  secrets: string[];
  ha1s(id: string): Promise<{ ha1_md5: string; ha1_sha256: string }>;
  createExt(token: string, number: string): Promise<string>;
  createDevice(body: Record<string, unknown>, token?: string): ReturnType<TestApi['request']>;
}

export function useDeviceSuite(name: string): DeviceSuite {
  const s = { secrets: [] as string[] } as unknown as DeviceSuite;
  s.ha1s = async (id) => (await s.ds.query('SELECT ha1_md5, ha1_sha256 FROM devices WHERE id = $1', [id]))[0];
  s.createExt = async (token, number) =>
    (await s.api.request('POST', '/api/v1/extensions', { token, body: { number, name: `Ext ${number}` } }))
      .body.data.id as string;
  s.createDevice = (body, token = s.tokenA) =>
    s.api.request('POST', '/api/v1/devices', {
      token,
      body: { extension_id: s.extA, name: 'Desk phone', ...body },
    });

  beforeAll(async () => {
    s.api = await startApi();
    s.ds = s.api.app.get(DataSource);
    s.inv = await subscribeInvalidations(s.api.config.REDIS_URL);
    s.tenantA = await seedTenant(s.api, `${name} A`);
    s.tenantB = await seedTenant(s.api, `${name} B`);
    s.tokenA = (await login(s.api, await seedUser(s.api, s.tenantA.id, ['tenant_admin']))).access;
    s.tokenB = (await login(s.api, await seedUser(s.api, s.tenantB.id, ['tenant_admin']))).access;
    s.supervisorToken = (await login(s.api, await seedUser(s.api, s.tenantA.id, ['supervisor']))).access;
    s.extA = await s.createExt(s.tokenA, '100');
    s.extA2 = await s.createExt(s.tokenA, '200');
    s.extB = await s.createExt(s.tokenB, '100');
  });
  afterAll(async () => {
    const rows = JSON.stringify(
      await s.ds.query('SELECT * FROM audit_log WHERE tenant_id = ANY($1)', [[s.tenantA.id, s.tenantB.id]]),
    );
    for (const secret of s.secrets) expect(rows).not.toContain(secret);
    await s.inv.close();
    await s.api.close();
  });
  return s;
}

/** The real API at trace level, with every log line kept in memory, to prove secrets never reach a log. */
export async function startApiCapturingLogs(base: ApiConfig): Promise<{ api: TestApi; logs: () => string }> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const config: ApiConfig = { ...base, LOG_LEVEL: 'trace' };
  const logger = pino(
    { name: 'api-log-capture', level: 'trace', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    sink,
  );
  const app = await createApiApp(config, logger);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  const request: TestApi['request'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null, text };
  };
  const api: TestApi = {
    app,
    baseUrl,
    config,
    keysDir: config.JWT_KEYS_DIR,
    request,
    close: () => app.close(),
  };
  return { api, logs: () => lines.join('') };
}
