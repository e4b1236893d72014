import { TenantsRepository } from '@pbx/database';
import Redis from 'ioredis';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { login, seedTenant, seedUser, TestApi } from './harness';

/** 2026-03-02 14:00 UTC, a Monday: 14:00 in London. */
export const MONDAY_14H = '2026-03-02T14:00:00.000Z';
export const T0 = Date.parse(MONDAY_14H);

export const FRANCE = '+33142685300';
export const LONDON = '+442079460018';
export const UK_MOBILE = '+447700900123';
export const CUBA = '+5372345678';
export const JAMAICA = '+18762345678';

export interface PolicyTenant {
  id: string;
  token: string;
  /** A device of the tenant with no override. */
  deviceId: string;
}

/** A device row straight into Postgres: the devices API belongs to another feature. */
export async function seedDevice(api: TestApi, tenantId: string, extra: { allowedCidrs?: string[] } = {}): Promise<string> {
  const ds = api.app.get(DataSource);
  const number = String(1000 + Math.floor(Math.random() * 8_999_000));
  const [ext]: Array<{ id: string }> = await ds.query(
    `INSERT INTO extensions (tenant_id, number, name) VALUES ($1, $2, $3) RETURNING id`,
    [tenantId, number, `Ext ${number}`],
  );
  const [device]: Array<{ id: string }> = await ds.query(
    `INSERT INTO devices (tenant_id, extension_id, name, sip_username, ha1_md5, ha1_sha256, allowed_cidrs)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [tenantId, ext.id, `Desk ${number}`, `u${randomUUID().slice(0, 12)}`, randomBytes(16).toString('hex'), randomBytes(32).toString('hex'), extra.allowedCidrs ?? []],
  );
  return device.id;
}

/**
 * A tenant of its own in London (GB), an admin token and a device. Step-up is switched off so
 * international allows are plain allows; the tests that need it switch it back on.
 */
export async function policyTenant(api: TestApi, country = 'GB', timezone = 'Europe/London'): Promise<PolicyTenant> {
  const tenant = await seedTenant(api, 'Policy');
  await api.app.get(TenantsRepository).update(tenant.id, { defaultCountry: country, timezone });
  const admin = await seedUser(api, tenant.id, ['tenant_admin']);
  const token = (await login(api, admin)).access;
  const deviceId = await seedDevice(api, tenant.id);
  const res = await api.request('PATCH', '/api/v1/policy', { token, body: { step_up_first_calls: null } });
  if (res.status !== 200) throw new Error(`policy setup failed: ${res.status} ${res.text}`);
  return { id: tenant.id, token, deviceId };
}

export function policyClient(api: TestApi, t: PolicyTenant) {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await api.request(method, path, { token: t.token, body });
    return res;
  };
  const ok = async (method: string, path: string, body?: unknown, status = 200) => {
    const res = await call(method, path, body);
    if (res.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${res.status} ${res.text}`);
    return res.body;
  };
  return {
    call,
    ok,
    patchPolicy: (body: Record<string, unknown>) => ok('PATCH', '/api/v1/policy', body),
    addRule: (body: Record<string, unknown>) => ok('POST', '/api/v1/policy/destination-rules', body, 201).then((b) => b.data),
    addSource: (body: Record<string, unknown>) => ok('POST', '/api/v1/policy/source-rules', body, 201).then((b) => b.data),
    addRate: (body: Record<string, unknown>) => ok('POST', '/api/v1/policy/rates', body, 201).then((b) => b.data),
    setLock: (level: number, reason?: string) => ok('PUT', '/api/v1/policy/lock-level', { level, reason }),
    /** Simulates a call from the tenant's device (or `device_id`) at MONDAY_14H from a GB address. */
    simulate: async (destination: string, extra: Record<string, unknown> = {}) =>
      (
        await ok('POST', '/api/v1/policy/simulate', {
          device_id: t.deviceId,
          destination,
          source_ip: '81.2.69.160',
          time: MONDAY_14H,
          ...extra,
        })
      ).data,
  };
}

export function testRedis(): Redis {
  return new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 2 });
}

/** Deletes the tenant's policy counters so suites leave nothing behind in the shared Redis. */
export async function clearCounters(redis: Redis, tenantId: string): Promise<void> {
  const keys = await redis.keys(`pbx:pc:${tenantId}:*`);
  if (keys.length) await redis.del(...keys);
}
