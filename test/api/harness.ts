import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createLogger } from '@pbx/common';
import { TenantsRepository, UsersRepository } from '@pbx/database';
import * as bcrypt from 'bcrypt';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { createApiApp } from '../../apps/api/src/app.factory';
import { ApiConfig, loadApiConfig } from '../../apps/api/src/config/api-config';
import { createKey } from '../../apps/api/src/auth/keys/key-store';

export interface TestApi {
  app: NestFastifyApplication;
  baseUrl: string;
  config: ApiConfig;
  keysDir: string;
  request: (method: string, path: string, opts?: { body?: unknown; token?: string; headers?: Record<string, string> }) => Promise<TestResponse>;
  close: () => Promise<void>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies are asserted field by field
  body: any;
  text: string;
}

/** Starts the real API on a free port, against the real Postgres and Redis, with a key of its own. */
export async function startApi(overrides: Record<string, string> = {}): Promise<TestApi> {
  const keysDir = await mkdtemp(join(tmpdir(), 'pbx-keys-'));
  await createKey(keysDir);
  const config = loadApiConfig({
    ...process.env,
    JWT_KEYS_DIR: keysDir,
    AUDIT_HMAC_KEY: randomBytes(32).toString('hex'),
    SECRETS_KEKS: `1:${randomBytes(32).toString('base64')}`,
    BCRYPT_COST: '4',
    REDIS_KEY_PREFIX: `pbx-test:${randomUUID().slice(0, 8)}:`,
    API_PORT: '0',
    ...overrides,
  });
  const app = await createApiApp(config, createLogger('api-test', process.env.TEST_LOG_LEVEL ?? 'silent'));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address() as { port: number };
  const baseUrl = `http://127.0.0.1:${address.port}`;
  const request: TestApi['request'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (opts.body !== undefined) headers['content-type'] ??= 'application/json';
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
    });
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    return { status: res.status, headers: res.headers, body, text };
  };
  return {
    app,
    baseUrl,
    config,
    keysDir,
    request,
    close: async () => {
      await app.close();
      await rm(keysDir, { recursive: true, force: true });
    },
  };
}

export interface SeededUser {
  id: string;
  email: string;
  password: string;
  tenantId: string;
}

/** A tenant of the suite's own, so suites never depend on each other or on order. */
export async function seedTenant(api: TestApi, name = 'Tenant'): Promise<{ id: string; slug: string }> {
  const slug = `t-${randomUUID().slice(0, 12)}`;
  const t = await api.app.get(TenantsRepository).create({ name: `${name} ${slug}`, slug });
  return { id: t.id, slug };
}

export async function seedUser(api: TestApi, tenantId: string, roles: string[], email?: string): Promise<SeededUser> {
  const password = `pw-${randomBytes(9).toString('base64url')}`;
  const addr = email ?? `u-${randomUUID().slice(0, 12)}@example.test`;
  const user = await api.app.get(UsersRepository).create({
    tenantId,
    email: addr,
    name: 'Test User',
    passwordHash: await bcrypt.hash(password, 4),
    roles,
  });
  return { id: user.id, email: addr, password, tenantId };
}

export async function login(api: TestApi, u: { email: string; password: string }): Promise<{ access: string; refresh: string }> {
  const res = await api.request('POST', '/api/v1/auth/login', { body: { email: u.email, password: u.password } });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
  return { access: res.body.access_token, refresh: res.body.refresh_token };
}
