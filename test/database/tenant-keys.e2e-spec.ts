import { createDataSource, migrate, revertLast } from '@pbx/database';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ALL_MIGRATIONS } from '../../migrations';

const adminUrl = process.env.DATABASE_URL as string;
// The migrations of issue 12 and after; reverting them leaves the previous schema.
const NEW_MIGRATIONS =
  ALL_MIGRATIONS.length - ALL_MIGRATIONS.findIndex((m) => m.name === 'TenantCompositeKeys1764000000000');
const TABLES = [
  'tenants',
  'users',
  'refresh_tokens',
  'extensions',
  'devices',
  'trunks',
  'dids',
  'outbound_routes',
  'device_policy_overrides',
  'destination_rules',
  'source_rules',
  'cdrs',
];

function urlFor(db: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${db}`;
  return u.toString();
}

/** One tenant's worth of rows in the previous schema, every link inside the tenant. */
async function seedOldSchema(ds: DataSource, slug: string): Promise<Record<string, string>> {
  const one = async (sql: string, params: unknown[]) =>
    ((await ds.query(sql, params)) as Array<{ id: string }>)[0].id;
  const tenant = await one(`INSERT INTO tenants (name, slug, sip_realm) VALUES ($1, $1, $1) RETURNING id`, [
    slug,
  ]);
  const user = await one(
    `INSERT INTO users (tenant_id, email, name, password_hash) VALUES ($1, $2, 'U', 'x') RETURNING id`,
    [tenant, `${slug}@example.test`],
  );
  await ds.query(
    `INSERT INTO refresh_tokens (user_id, tenant_id, family_id, token_hash, expires_at) VALUES ($1, $2, gen_random_uuid(), $3, now() + interval '1 day')`,
    [user, tenant, `h-${slug}`],
  );
  const ext = await one(
    `INSERT INTO extensions (tenant_id, number, name, user_id) VALUES ($1, '101', 'E', $2) RETURNING id`,
    [tenant, user],
  );
  const device = await one(
    `INSERT INTO devices (tenant_id, extension_id, name, sip_username, ha1_md5, ha1_sha256) VALUES ($1, $2, 'D', $3, repeat('a', 32), repeat('b', 64)) RETURNING id`,
    [tenant, ext, `u-${slug}`],
  );
  const trunk = await one(
    `INSERT INTO trunks (tenant_id, name, host) VALUES ($1, 'T', 'sip.example.test') RETURNING id`,
    [tenant],
  );
  const number = `+4420794${String(Math.floor(Math.random() * 1e5)).padStart(5, '0')}`;
  const assignments = await ds.query(`SELECT to_regclass('number_assignments') IS NOT NULL AS present`);
  if (assignments[0].present)
    await ds.query(`INSERT INTO number_assignments (number, tenant_id) VALUES ($1, $2)`, [number, tenant]);
  await ds.query(`INSERT INTO dids (tenant_id, trunk_id, number, extension_id) VALUES ($1, $2, $3, $4)`, [
    tenant,
    trunk,
    number,
    ext,
  ]);
  await ds.query(`INSERT INTO outbound_routes (tenant_id, name, trunk_id) VALUES ($1, 'R', $2)`, [
    tenant,
    trunk,
  ]);
  await ds.query(
    `INSERT INTO device_policy_overrides (device_id, tenant_id, max_concurrent) VALUES ($1, $2, 1)`,
    [device, tenant],
  );
  await ds.query(
    `INSERT INTO destination_rules (tenant_id, device_id, kind, country, action) VALUES ($1, $2, 'country', 'FR', 'deny')`,
    [tenant, device],
  );
  await ds.query(
    `INSERT INTO source_rules (tenant_id, device_id, kind, value) VALUES ($1, $2, 'country_deny', 'RU')`,
    [tenant, device],
  );
  await ds.query(
    `INSERT INTO cdrs (tenant_id, call_id, direction, device_id, from_number, to_number, started_at, disposition) VALUES ($1, 'c1', 'outbound', $2, '101', '+33123456789', now(), 'answered')`,
    [tenant, device],
  );
  return { tenant, user, ext, device, trunk, number };
}

async function counts(ds: DataSource): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES)
    out[t] = ((await ds.query(`SELECT count(*)::int AS n FROM ${t}`)) as Array<{ n: number }>)[0].n;
  return out;
}

describe('tenant composite keys (migration 1764000000000 and after)', () => {
  const db = `pbx_keys_${randomBytes(4).toString('hex')}`;
  let admin: Client;
  let ds: DataSource;

  beforeAll(async () => {
    admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${db}`);
    ds = await createDataSource({ url: urlFor(db), poolSize: 2 }).initialize();
    await migrate(ds);
    for (let i = 0; i < NEW_MIGRATIONS; i++) await revertLast(ds);
  });
  afterAll(async () => {
    await ds.destroy();
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
  });

  it('run and revert on a database holding data from the previous schema, keeping every row', async () => {
    const a = await seedOldSchema(ds, `a-${randomBytes(3).toString('hex')}`);
    await seedOldSchema(ds, `b-${randomBytes(3).toString('hex')}`);
    const before = await counts(ds);

    expect(await migrate(ds)).toHaveLength(NEW_MIGRATIONS);
    expect(await counts(ds)).toEqual(before);
    const assigned = await ds.query(`SELECT tenant_id FROM number_assignments WHERE number = $1`, [a.number]);
    expect(assigned).toEqual([{ tenant_id: a.tenant }]);

    for (let i = 0; i < NEW_MIGRATIONS; i++) await revertLast(ds);
    expect(await counts(ds)).toEqual(before);
    expect(await migrate(ds)).toHaveLength(NEW_MIGRATIONS);
  });

  it('refuse a cross-tenant link inserted directly in SQL, naming the constraint', async () => {
    const a = await seedOldSchema(ds, `c-${randomBytes(3).toString('hex')}`);
    const b = await seedOldSchema(ds, `d-${randomBytes(3).toString('hex')}`);
    const attempts: Array<[string, string, unknown[]]> = [
      [
        'fk_devices_extension',
        `INSERT INTO devices (tenant_id, extension_id, name, sip_username, ha1_md5, ha1_sha256) VALUES ($1, $2, 'X', 'x-cross', repeat('a', 32), repeat('b', 64))`,
        [a.tenant, b.ext],
      ],
      [
        'fk_outbound_routes_trunk',
        `INSERT INTO outbound_routes (tenant_id, name, trunk_id) VALUES ($1, 'cross', $2)`,
        [a.tenant, b.trunk],
      ],
      ['fk_dids_trunk', `UPDATE dids SET trunk_id = $2 WHERE tenant_id = $1`, [a.tenant, b.trunk]],
      [
        'fk_dids_number',
        `INSERT INTO dids (tenant_id, trunk_id, number) VALUES ($1, $2, $3)`,
        [a.tenant, a.trunk, '+14155550100'],
      ],
      ['fk_extensions_user', `UPDATE extensions SET user_id = $2 WHERE tenant_id = $1`, [a.tenant, b.user]],
      [
        'fk_destination_rules_device',
        `INSERT INTO destination_rules (tenant_id, device_id, kind, country, action) VALUES ($1, $2, 'country', 'DE', 'deny')`,
        [a.tenant, b.device],
      ],
      [
        'fk_source_rules_device',
        `INSERT INTO source_rules (tenant_id, device_id, kind, value) VALUES ($1, $2, 'country_deny', 'CN')`,
        [a.tenant, b.device],
      ],
      [
        'fk_device_policy_overrides_device',
        `UPDATE device_policy_overrides SET tenant_id = $1 WHERE device_id = $2`,
        [a.tenant, b.device],
      ],
      [
        'fk_refresh_tokens_user',
        `UPDATE refresh_tokens SET user_id = $2 WHERE tenant_id = $1`,
        [a.tenant, b.user],
      ],
    ];
    for (const [constraint, sql, params] of attempts) {
      await expect(ds.query(sql, params)).rejects.toMatchObject({
        driverError: expect.objectContaining({ constraint }),
      });
    }
  });

  it('clear only the link, never the tenant, when a linked user or extension goes', async () => {
    const a = await seedOldSchema(ds, `e-${randomBytes(3).toString('hex')}`);
    await ds.query(`DELETE FROM refresh_tokens WHERE user_id = $1`, [a.user]);
    await ds.query(`DELETE FROM users WHERE id = $1`, [a.user]);
    expect(await ds.query(`SELECT tenant_id, user_id FROM extensions WHERE id = $1`, [a.ext])).toEqual([
      { tenant_id: a.tenant, user_id: null },
    ]);
  });

  it('stop, naming the rows, when the previous schema holds a cross-tenant link', async () => {
    for (let i = 0; i < NEW_MIGRATIONS; i++) await revertLast(ds);
    const a = await seedOldSchema(ds, `f-${randomBytes(3).toString('hex')}`);
    const b = await seedOldSchema(ds, `g-${randomBytes(3).toString('hex')}`);
    await ds.query(`UPDATE devices SET extension_id = $2 WHERE id = $1`, [a.device, b.ext]);
    await expect(migrate(ds)).rejects.toThrow(
      /devices\.extension_id: 1 row\(s\) linked to another tenant's extensions/,
    );
    await ds.query(`UPDATE devices SET extension_id = $2 WHERE id = $1`, [a.device, a.ext]);
    expect(await migrate(ds)).toHaveLength(NEW_MIGRATIONS);
  });
});
