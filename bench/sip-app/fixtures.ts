import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import { computeHa1 } from '../../libs/common/src/sip-digest';

/** One bench device: its SIP username and password (the CSV sipp authenticates with). */
export interface BenchUser {
  username: string;
  password: string;
}

/** Only databases named like this are ever dropped, whatever BENCH_DATABASE_URL says. */
const BENCH_DB_NAME = /^pbx_bench[a-z0-9_]*$/;

function dbName(url: string): string {
  const name = new URL(url).pathname.slice(1);
  if (!BENCH_DB_NAME.test(name)) throw new Error(`refusing to recreate database "${name}": a bench database is named pbx_bench…`);
  return name;
}

/** Drops and recreates the bench database, then migrates it with the project's own CLI. */
export async function createBenchDatabase(url: string, root: string): Promise<void> {
  const name = dbName(url);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const c = new Client({ connectionString: admin.toString() });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  execFileSync('node', [join(root, 'dist', 'libs', 'database', 'src', 'cli', 'migrate.js'), 'run'], {
    env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export async function dropBenchDatabase(url: string): Promise<void> {
  const name = dbName(url);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const c = new Client({ connectionString: admin.toString() });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await c.end();
  }
}

/**
 * One tenant whose sip_realm is `realm`, and `n` extensions with a device each (UDP and TLS allowed,
 * `algorithms` offered), each with its own random password; HA1s as the API stores them.
 */
export async function seedDevices(url: string, realm: string, n: number, algorithms: string[]): Promise<BenchUser[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const [t] = (await c.query<{ id: string }>(`INSERT INTO tenants (name, slug, sip_realm) VALUES ('Bench', 'bench', $1) RETURNING id`, [realm])).rows;
    const users: BenchUser[] = [];
    for (let i = 0; i < n; i++) users.push({ username: `b${String(i).padStart(5, '0')}`, password: randomBytes(8).toString('hex') });
    const batch = 1000;
    for (let from = 0; from < n; from += batch) {
      const part = users.slice(from, from + batch);
      const numbers = part.map((_u, i) => String(10_000 + from + i));
      const ext = await c.query<{ id: string; number: string }>(
        `INSERT INTO extensions (tenant_id, number, name) SELECT $1, num, 'Bench ' || num FROM unnest($2::text[]) AS num RETURNING id, number`,
        [t.id, numbers],
      );
      const extByNumber = new Map(ext.rows.map((r) => [r.number, r.id]));
      await c.query(
        `INSERT INTO devices (tenant_id, extension_id, name, sip_username, ha1_md5, ha1_sha256, digest_algorithms, transports, max_registrations)
         SELECT $1, e, u, u, m, s, $6::text[], '{udp,tls}', 3 FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[]) AS x(e, u, m, s)`,
        [
          t.id,
          numbers.map((num) => extByNumber.get(num)),
          part.map((u) => u.username),
          part.map((u) => computeHa1('MD5', u.username, realm, u.password)),
          part.map((u) => computeHa1('SHA-256', u.username, realm, u.password)),
          algorithms,
        ],
      );
    }
    return users;
  } finally {
    await c.end();
  }
}

/** sipp's injection file: username, Authorization keyword with the password, realm (scenarios/reg.xml). */
export function writeUsersCsv(file: string, users: BenchUser[], realm: string): string {
  const lines = ['SEQUENTIAL', ...users.map((u) => `${u.username};[authentication username=${u.username} password=${u.password}];${realm}`)];
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}

export async function flushRedisDb(url: string): Promise<void> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  try {
    await r.flushdb();
  } finally {
    r.disconnect();
  }
}

/** Server-wide counters, for per-registration costs: Redis commands and CPU, Postgres transactions of the bench database. */
export interface BackendCounters {
  redisCalls: Map<string, number>;
  redisPid: number;
  pgXacts: number;
  pgTuplesReturned: number;
}

export async function backendCounters(redisUrl: string, pgUrl: string): Promise<BackendCounters> {
  const r = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  const c = new Client({ connectionString: pgUrl });
  await c.connect();
  try {
    const info = `${await r.info('server')}\n${await r.info('commandstats')}`;
    const redisCalls = new Map<string, number>();
    for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) redisCalls.set(m[1], Number(m[2]));
    const redisPid = Number(/^process_id:(\d+)/m.exec(info)?.[1] ?? 0);
    const pg = (await c.query<{ x: string; t: string }>(`SELECT xact_commit + xact_rollback AS x, tup_returned AS t FROM pg_stat_database WHERE datname = current_database()`)).rows[0];
    return { redisCalls, redisPid, pgXacts: Number(pg.x), pgTuplesReturned: Number(pg.t) };
  } finally {
    r.disconnect();
    await c.end();
  }
}

/** Redis commands per registration between two readings (server-wide: other people's traffic is included). */
export function redisCallsPer(a: BackendCounters, b: BackendCounters, units: number): string {
  const diffs = [...b.redisCalls].map(([cmd, n]) => [cmd, n - (a.redisCalls.get(cmd) ?? 0)] as const).filter(([, d]) => d > 0);
  diffs.sort((x, y) => y[1] - x[1]);
  const total = diffs.reduce((s, [, d]) => s + d, 0);
  const top = diffs.slice(0, 6).map(([cmd, d]) => `${cmd} ${(d / units).toFixed(2)}`);
  return `${(total / units).toFixed(1)} (${top.join(', ')})`;
}
