import { createKey } from '../../apps/api/src/auth/keys/key-store';
import { createDataSource, migrate, TenantsRepository, UsersRepository } from '@pbx/database';
import * as bcrypt from 'bcrypt';
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface BenchApi {
  baseUrl: string;
  user: { email: string; password: string };
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

async function waitReady(url: string, child: ChildProcess, deadlineMs = 30_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`API exited with code ${child.exitCode} during start-up`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > until) throw new Error(`API not ready after ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Migrates the bench database, seeds a tenant and a user (bcrypt at the bench's cost), then starts
 * the built API as a child process, so the load generator doesn't share its event loop.
 */
export async function startBenchApi(opts: { databaseUrl: string; redisUrl: string; bcryptCost: number }): Promise<BenchApi> {
  const ds = await createDataSource({ url: opts.databaseUrl, poolSize: 2, applicationName: 'pbx-bench' }).initialize();
  const slug = `bench-${randomUUID().slice(0, 8)}`;
  const user = { email: `${slug}@bench.test`, password: `pw-${randomBytes(12).toString('base64url')}` };
  try {
    await migrate(ds);
    const tenant = await new TenantsRepository(ds).create({ name: `Bench ${slug}`, slug });
    await new UsersRepository(ds).create({
      tenantId: tenant.id,
      email: user.email,
      name: 'Bench User',
      passwordHash: await bcrypt.hash(user.password, opts.bcryptCost),
      roles: ['tenant_admin'],
    });
  } finally {
    await ds.destroy();
  }

  const keysDir = await mkdtemp(join(tmpdir(), 'pbx-bench-keys-'));
  await createKey(keysDir);
  const port = await freePort();
  const main = resolve(__dirname, '../../apps/api/src/main.js');
  const child = spawn(process.execPath, [main], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      API_HOST: '127.0.0.1',
      API_PORT: String(port),
      DATABASE_URL: opts.databaseUrl,
      REDIS_URL: opts.redisUrl,
      REDIS_KEY_PREFIX: `pbx-bench:${slug}:`,
      LOG_LEVEL: 'warn',
      JWT_KEYS_DIR: keysDir,
      AUDIT_HMAC_KEY: randomBytes(32).toString('hex'),
      SECRETS_KEKS: `1:${randomBytes(32).toString('base64')}`,
      BCRYPT_COST: String(opts.bcryptCost),
      // The bench logs in hundreds of times from one IP: lift the limits it would otherwise trip.
      LOGIN_RATE_PER_IP: '1000000',
      LOGIN_RATE_PER_ACCOUNT: '1000000',
      DOCS_ENABLED: 'false',
    },
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(keysDir, { recursive: true, force: true });
  };
  try {
    await waitReady(`${baseUrl}/health/ready`, child);
  } catch (err) {
    await stop();
    throw err;
  }
  return { baseUrl, user, stop };
}
