import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { computeHa1 } from '../../../libs/common/src';

export interface TestDevice {
  id: string;
  username: string;
  password: string;
  extensionId: string;
}

export interface TestTenant {
  id: string;
  realm: string;
  devices: TestDevice[];
}

export interface DeviceSpec {
  username: string;
  password?: string;
  transports?: string[];
  algorithms?: string[];
  maxRegistrations?: number;
  allowedCidrs?: string[];
}

/** A tenant of the suite's own (unique realm) with one extension and device per spec. */
export async function createTenant(ds: DataSource, specs: DeviceSpec[]): Promise<TestTenant> {
  const tag = randomBytes(4).toString('hex');
  const realm = `t${tag}.pbx.test`;
  const [t] = (await ds.query(`INSERT INTO tenants (name, slug, sip_realm) VALUES ($1, $2, $3) RETURNING id`, [
    `Test ${tag}`,
    `t${tag}`,
    realm,
  ])) as Array<{ id: string }>;
  const devices: TestDevice[] = [];
  for (const [i, s] of specs.entries()) {
    const password = s.password ?? randomBytes(12).toString('base64url');
    const [ext] = (await ds.query(`INSERT INTO extensions (tenant_id, number, name) VALUES ($1, $2, $3) RETURNING id`, [
      t.id,
      String(1001 + i),
      s.username,
    ])) as Array<{ id: string }>;
    const [d] = (await ds.query(
      `INSERT INTO devices (tenant_id, extension_id, name, sip_username, ha1_md5, ha1_sha256, digest_algorithms, transports, allowed_cidrs, max_registrations)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
      [
        t.id,
        ext.id,
        s.username,
        s.username,
        computeHa1('MD5', s.username, realm, password),
        computeHa1('SHA-256', s.username, realm, password),
        s.algorithms ?? ['SHA-256', 'MD5'],
        s.transports ?? ['udp', 'tcp', 'tls', 'ws', 'wss'],
        s.allowedCidrs ?? [],
        s.maxRegistrations ?? 3,
      ],
    )) as Array<{ id: string }>;
    devices.push({ id: d.id, username: s.username, password, extensionId: ext.id });
  }
  return { id: t.id, realm, devices };
}

export async function dropTenant(ds: DataSource, id: string): Promise<void> {
  await ds.query(`DELETE FROM devices WHERE tenant_id = $1`, [id]);
  await ds.query(`DELETE FROM extensions WHERE tenant_id = $1`, [id]);
  // Users (e.g. an admin a test logged in with) hold the tenant with ON DELETE RESTRICT.
  await ds.query(`DELETE FROM users WHERE tenant_id = $1`, [id]);
  await ds.query(`DELETE FROM tenants WHERE id = $1`, [id]);
}
