import { createDataSource, migrate, revertLast } from '@pbx/database';
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ALL_MIGRATIONS } from '../../migrations';

const adminUrl = process.env.DATABASE_URL as string;

function urlFor(db: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${db}`;
  return u.toString();
}

describe('migrations', () => {
  const db = `pbx_mig_${randomBytes(4).toString('hex')}`;
  let admin: Client;

  beforeAll(async () => {
    admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${db}`);
  });
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
  });

  it('run once when several processes start at the same moment (advisory lock)', async () => {
    const sources: DataSource[] = [];
    for (let i = 0; i < 4; i++) sources.push(await createDataSource({ url: urlFor(db), poolSize: 2 }).initialize());
    try {
      const results = await Promise.all(sources.map((ds) => migrate(ds)));
      expect(results.filter((r) => r.length > 0)).toHaveLength(1);
      const rows: Array<{ name: string }> = await sources[0].query('SELECT name FROM migrations');
      expect(rows.map((r) => r.name)).toEqual(results.find((r) => r.length)!);
      const roles: Array<{ key: string }> = await sources[0].query('SELECT key FROM roles ORDER BY key');
      expect(roles.map((r) => r.key)).toEqual(['agent', 'auditor', 'platform_admin', 'supervisor', 'tenant_admin']);
    } finally {
      await Promise.all(sources.map((ds) => ds.destroy()));
    }
  });

  it('name constraints explicitly and leave synchronize off', async () => {
    const ds = await createDataSource({ url: urlFor(db), poolSize: 1 }).initialize();
    try {
      expect(ds.options.synchronize).toBe(false);
      const cons: Array<{ conname: string }> = await ds.query(
        `SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public'`,
      );
      const generated = cons.map((c) => c.conname).filter((n) => !/^(pk|fk|uq|ck)_/.test(n));
      // TypeORM's own migrations table is the only exception.
      expect(generated.filter((n) => !n.startsWith('PK_'))).toEqual([]);
    } finally {
      await ds.destroy();
    }
  });

  it('revert every migration, down to an empty schema, and apply them again', async () => {
    const ds = await createDataSource({ url: urlFor(db), poolSize: 2 }).initialize();
    try {
      for (let i = 0; i < ALL_MIGRATIONS.length; i++) await revertLast(ds);
      const tables: Array<{ n: string }> = await ds.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations'`);
      expect(Number(tables[0].n)).toBe(0);
      expect((await migrate(ds)).length).toBe(ALL_MIGRATIONS.length);
    } finally {
      await ds.destroy();
    }
  });

  it('stop with a message naming DATABASE_URL when it is missing', async () => {
    const out = await new Promise<{ code: number | null; output: string }>((resolve) => {
      // The compiled CLI, as operators run it (`npm test` builds before the e2e suites).
      const child = fork(join(__dirname, '../../dist/libs/database/src/cli/migrate.js'), [], {
        env: { PATH: process.env.PATH ?? '' },
        silent: true,
      });
      let output = '';
      child.stdout?.on('data', (d) => (output += d));
      child.stderr?.on('data', (d) => (output += d));
      child.on('exit', (code) => resolve({ code, output }));
    });
    expect(out.code).not.toBe(0);
    expect(out.output).toMatch(/DATABASE_URL is required/);
  });
});
