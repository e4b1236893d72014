import { createLogger, createRedis, RedisKeys } from '@pbx/common';
import type Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DropList } from '../../apps/sip-edge/src/transport/drop-list';
import { login, seedTenant, seedUser, startApi, TestApi } from './harness';
import { until } from './ops-helpers';

/**
 * The contract with the SIP edge, end to end: bans made through the API reach the edge's own
 * DropList (default key and channel), in the spelling the edge compares remote addresses in.
 */
describe('bans reach the SIP edge drop list', () => {
  let api: TestApi;
  let redis: Redis;
  let edge: DropList;
  let root: string;
  let admin: string;
  const group = () => (randomBytes(2).readUInt16BE() || 1).toString(16);
  const ipv6 = `2001:db8:${group()}:${group()}::${group()}`;
  const ipv4 = `203.0.113.${1 + (randomBytes(1)[0] % 254)}`;

  beforeAll(async () => {
    api = await startApi();
    redis = createRedis(api.config.REDIS_URL, 'pbx-test-bans-edge');
    edge = await DropList.start(redis, { logger: createLogger('edge-test', 'silent') });
    const platform = await seedTenant(api, 'Edge platform');
    const tenant = await seedTenant(api, 'Edge tenant');
    root = (await login(api, await seedUser(api, platform.id, ['platform_admin']))).access;
    admin = (await login(api, await seedUser(api, tenant.id, ['tenant_admin']))).access;
  });

  afterAll(async () => {
    await api.app
      .get(DataSource)
      .query(`UPDATE bans SET lifted_at = now() WHERE ip = ANY($1) AND lifted_at IS NULL`, [[ipv6, ipv4]]);
    await redis.srem(RedisKeys.bannedIps, ipv6, ipv4);
    await edge.close();
    await redis.quit();
    await api.close();
  });

  it('a running edge drops a platform-banned address within a second, and stops once it is lifted', async () => {
    const long = ipv6.replace('::', ':0:0:0:').toUpperCase();
    const res = await api.request('POST', '/api/v1/bans', {
      token: root,
      body: { ip: long, reason: 'scanner', scope: 'platform' },
    });
    expect(res.status).toBe(201);
    await until(() => edge.has(ipv6), 1000);
    expect(edge.has(`::ffff:${ipv4}`)).toBe(false);
    await api.request('DELETE', `/api/v1/bans/${res.body.data.id}`, { token: root });
    await until(() => !edge.has(ipv6), 1000);
  });

  it('an IPv4 platform ban also matches the IPv4-mapped form a dual-stack socket reports', async () => {
    const res = await api.request('POST', '/api/v1/bans', {
      token: root,
      body: { ip: `::ffff:${ipv4}`, reason: 'scanner', scope: 'platform' },
    });
    expect(res.body.data.ip).toBe(ipv4);
    await until(() => edge.has(`::ffff:${ipv4}`) && edge.has(ipv4), 1000);
    await api.request('DELETE', `/api/v1/bans/${res.body.data.id}`, { token: root });
    await until(() => !edge.has(ipv4), 1000);
  });

  it('a tenant ban never reaches the edge, and a newly started edge loads platform bans from the SET', async () => {
    const tenantBan = await api.request('POST', '/api/v1/bans', {
      token: admin,
      body: { ip: ipv4, reason: 'x' },
    });
    expect(tenantBan.status).toBe(201);
    const platformBan = await api.request('POST', '/api/v1/bans', {
      token: root,
      body: { ip: ipv6, reason: 'scanner', scope: 'platform' },
    });
    await until(() => edge.has(ipv6), 1000);
    const late = await DropList.start(redis, { logger: createLogger('edge-test-late', 'silent') });
    try {
      expect(late.has(ipv6)).toBe(true);
      expect(late.has(ipv4)).toBe(false);
      expect(edge.has(ipv4)).toBe(false);
    } finally {
      await late.close();
    }
    await api.request('DELETE', `/api/v1/bans/${platformBan.body.data.id}`, { token: root });
  });
});
