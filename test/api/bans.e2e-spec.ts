import { createRedis, normalizeIp, RedisChannels, RedisKeys } from '@pbx/common';
import { AuditLogRepository, BansRepository } from '@pbx/database';
import type Redis from 'ioredis';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DropListSync } from '../../apps/api/src/bans/drop-list-sync.service';
import { login, seedTenant, seedUser, SeededUser, startApi, TestApi } from './harness';
import { until } from './ops-helpers';

/** Addresses of this run only (RFC 3849 documentation prefix), so runs never see each other's bans. */
const RUN = [0, 1].map(() => (randomBytes(2).readUInt16BE() || 1).toString(16)).join(':');
let n = 0;
/** Already in canonical (RFC 5952) form: no leading zeros, lower case. */
const freshIp = () => `2001:db8:${RUN}::${(++n).toString(16)}`;

describe('bans: /api/v1/bans', () => {
  let api: TestApi;
  let redis: Redis;
  let sub: Redis;
  const messages: Array<{ channel: string; body: Record<string, unknown> }> = [];
  const usedIps = new Set<string>();
  let tenantA: { id: string };
  let root: SeededUser;
  let adminA: SeededUser;
  const t: Record<'root' | 'adminA' | 'auditorA' | 'supervisorA' | 'adminB', string> = {
    root: '',
    adminA: '',
    auditorA: '',
    supervisorA: '',
    adminB: '',
  };

  beforeAll(async () => {
    api = await startApi();
    redis = createRedis(api.config.REDIS_URL, 'pbx-test-bans');
    sub = createRedis(api.config.REDIS_URL, 'pbx-test-bans-sub');
    sub.on('message', (channel: string, raw: string) => messages.push({ channel, body: JSON.parse(raw) }));
    await sub.subscribe(RedisChannels.bans, RedisChannels.invalidate);
    const platform = await seedTenant(api, 'Bans platform');
    tenantA = await seedTenant(api, 'Bans A');
    const tenantB = await seedTenant(api, 'Bans B');
    root = await seedUser(api, platform.id, ['platform_admin']);
    adminA = await seedUser(api, tenantA.id, ['tenant_admin']);
    t.root = (await login(api, root)).access;
    t.adminA = (await login(api, adminA)).access;
    t.auditorA = (await login(api, await seedUser(api, tenantA.id, ['auditor']))).access;
    t.supervisorA = (await login(api, await seedUser(api, tenantA.id, ['supervisor']))).access;
    t.adminB = (await login(api, await seedUser(api, tenantB.id, ['tenant_admin']))).access;
  });

  afterAll(async () => {
    if (usedIps.size) {
      await api.app
        .get(DataSource)
        .query(`UPDATE bans SET lifted_at = now() WHERE ip = ANY($1) AND lifted_at IS NULL`, [[...usedIps]]);
      await redis.srem(RedisKeys.bannedIps, ...usedIps);
    }
    await sub.quit();
    await redis.quit();
    await api.close();
  });

  const ban = (token: string, body: Record<string, unknown>) => {
    if (typeof body.ip === 'string') usedIps.add(normalizeIp(body.ip) ?? body.ip);
    return api.request('POST', '/api/v1/bans', { token, body: { reason: 'scanner', ...body } });
  };
  const listed = (ip: string) => redis.sismember(RedisKeys.bannedIps, ip).then((v) => v === 1);
  const edgeMessages = (ip: string) =>
    messages.filter((m) => m.channel === RedisChannels.bans && m.body.ip === ip);
  const auditRows = async (tenantId: string, targetId: string) =>
    (
      await api.app
        .get(AuditLogRepository)
        .list(tenantId, { page: 1, perPage: 100, sort: [], filters: { target_id: targetId } })
    ).items;
  const expireNow = (id: string) =>
    api.app
      .get(DataSource)
      .query(`UPDATE bans SET expires_at = now() - interval '1 second' WHERE id = $1`, [id]);

  it('a platform ban goes onto the edge drop list: SADD, a pbx:bans add message and an invalidation', async () => {
    const ip = freshIp();
    const res = await ban(t.root, { ip: ip.toUpperCase(), scope: 'platform', expires_in_seconds: 3600 });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({
      ip,
      scope: 'platform',
      tenant_id: null,
      reason: 'scanner',
      source: 'manual',
      status: 'active',
      created_by: root.id,
      lifted_at: null,
    });
    expect(Date.parse(res.body.data.expires_at) - Date.now()).toBeGreaterThan(3500_000);
    expect(await listed(ip)).toBe(true);
    await until(() => edgeMessages(ip).length === 1);
    expect(edgeMessages(ip)[0].body).toEqual({ op: 'add', ip });
    await until(() =>
      messages.some((m) => m.channel === RedisChannels.invalidate && m.body.id === res.body.data.id),
    );
    expect(messages.find((m) => m.body.id === res.body.data.id)?.body).toMatchObject({
      kind: 'ban',
      tenantId: null,
    });
    const audit = await auditRows(root.tenantId, res.body.data.id);
    expect(audit[0]).toMatchObject({ action: 'ban.created', result: 'success', actorUserId: root.id });
    expect(audit[0].metadata).toMatchObject({ ip, scope: 'platform' });
  });

  it('lifting a platform ban removes the address and publishes remove; lifting again is a no-op 204', async () => {
    const ip = freshIp();
    const id = (await ban(t.root, { ip, scope: 'platform' })).body.data.id;
    expect(await listed(ip)).toBe(true);
    const del = await api.request('DELETE', `/api/v1/bans/${id}`, { token: t.root });
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    expect(await listed(ip)).toBe(false);
    await until(() => edgeMessages(ip).some((m) => m.body.op === 'remove'));
    const show = await api.request('GET', `/api/v1/bans/${id}`, { token: t.root });
    expect(show.body.data).toMatchObject({ status: 'lifted', lifted_by: root.id });
    expect((await api.request('DELETE', `/api/v1/bans/${id}`, { token: t.root })).status).toBe(204);
    expect((await auditRows(root.tenantId, id)).map((a) => a.action).sort()).toEqual([
      'ban.created',
      'ban.lifted',
    ]);
  });

  it('keeps an address on the drop list while another platform ban on it is still active', async () => {
    const ip = freshIp();
    const first = (await ban(t.root, { ip, scope: 'platform' })).body.data.id;
    const scanner = await api.app
      .get(BansRepository)
      .insert({ tenantId: null, ip, reason: 'scanner', source: 'scanner' });
    expect((await api.request('DELETE', `/api/v1/bans/${first}`, { token: t.root })).status).toBe(204);
    expect(await listed(ip)).toBe(true);
    expect((await api.request('DELETE', `/api/v1/bans/${scanner.id}`, { token: t.root })).status).toBe(204);
    expect(await listed(ip)).toBe(false);
  });

  it("a tenant ban is the tenant's only: never on the edge drop list, but invalidated for the SIP app", async () => {
    const ip = freshIp();
    const res = await ban(t.adminA, { ip, expires_at: new Date(Date.now() + 600_000).toISOString() });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ ip, scope: 'tenant', tenant_id: tenantA.id, status: 'active' });
    await until(() => messages.some((m) => m.body.id === res.body.data.id));
    expect(messages.find((m) => m.body.id === res.body.data.id)?.body).toMatchObject({
      kind: 'ban',
      tenantId: tenantA.id,
    });
    expect(await listed(ip)).toBe(false);
    expect(edgeMessages(ip)).toEqual([]);
    expect(
      (await api.request('DELETE', `/api/v1/bans/${res.body.data.id}`, { token: t.adminA })).status,
    ).toBe(204);
    expect(await listed(ip)).toBe(false);
    expect(edgeMessages(ip)).toEqual([]);
  });

  it('refuses a platform ban from a tenant admin (403, audited) and touches nothing', async () => {
    const ip = freshIp();
    const res = await ban(t.adminA, { ip, scope: 'platform' });
    expect(res.status).toBe(403);
    expect(await listed(ip)).toBe(false);
    const denied = (
      await api.app
        .get(AuditLogRepository)
        .list(tenantA.id, { page: 1, perPage: 100, sort: [], filters: { action: 'ban.created' } })
    ).items.filter((a) => a.result === 'denied');
    expect(denied[0]?.metadata).toEqual({ reason: 'platform_scope_requires_platform_admin' });
  });

  it.each([
    ['not an address', { ip: 'example.com' }, 'ip'],
    ['a range', { ip: '198.51.100.0/24' }, 'ip'],
    ['IPv4 unspecified', { ip: '0.0.0.0' }, 'ip'],
    ['IPv6 unspecified', { ip: '0:0::0' }, 'ip'],
    ['IPv4 loopback', { ip: '127.0.0.1' }, 'ip'],
    ['IPv6 loopback', { ip: '::1' }, 'ip'],
    ['mapped loopback', { ip: '::ffff:127.0.0.1' }, 'ip'],
    ['another loopback address (BANS_ALLOW_LOOPBACK is off by default)', { ip: '127.0.0.66' }, 'ip'],
    [
      'both expiries',
      { ip: '198.51.100.250', expires_in_seconds: 60, expires_at: '2099-01-01T00:00:00Z' },
      'expires_at',
    ],
    ['a past expiry', { ip: '198.51.100.250', expires_at: '2020-01-01T00:00:00Z' }, 'expires_at'],
    ['a zero duration', { ip: '198.51.100.250', expires_in_seconds: 0 }, 'expires_in_seconds'],
    ['no reason', { ip: '198.51.100.250', reason: ' ' }, 'reason'],
    ['a bad scope', { ip: '198.51.100.250', scope: 'global' }, 'scope'],
  ])('answers 422 for %s', async (_, body, field) => {
    const res = await ban(t.root, { scope: 'platform', ...body } as Record<string, unknown>);
    expect(res.status).toBe(422);
    expect(Object.keys(res.body.errors)).toEqual([field]);
    expect(await listed('198.51.100.250')).toBe(false);
  });

  it('refuses a second active ban on the same address in the same scope', async () => {
    const ip = freshIp();
    expect((await ban(t.adminA, { ip })).status).toBe(201);
    const dup = await ban(t.adminA, { ip });
    expect(dup.status).toBe(422);
    expect(dup.body.errors).toEqual({ ip: ['The ip is already banned.'] });
    expect((await ban(t.adminB, { ip })).status).toBe(201);
  });

  it('the sweeper removes expired platform bans from the drop list, and leaves foreign entries alone', async () => {
    const ip = freshIp();
    const id = (await ban(t.root, { ip, scope: 'platform', expires_in_seconds: 60 })).body.data.id;
    const foreign = freshIp();
    usedIps.add(foreign);
    await redis.sadd(RedisKeys.bannedIps, foreign);
    await expireNow(id);
    expect(await listed(ip)).toBe(true);
    await api.app.get(DropListSync).sweepAll();
    expect(await listed(ip)).toBe(false);
    expect(await listed(foreign)).toBe(true);
    await until(() => edgeMessages(ip).some((m) => m.body.op === 'remove'));
  });

  it('the sweeper also restores an active platform ban missing from the drop list', async () => {
    const ip = freshIp();
    usedIps.add(ip);
    await api.app.get(BansRepository).insert({ tenantId: null, ip, reason: 'scanner', source: 'scanner' });
    expect(await listed(ip)).toBe(false);
    await api.app.get(DropListSync).sweepAll();
    expect(await listed(ip)).toBe(true);
    await until(() => edgeMessages(ip).some((m) => m.body.op === 'add'));
  });

  it('reading an expired platform ban removes it from the drop list at once', async () => {
    const ip = freshIp();
    const id = (await ban(t.root, { ip, scope: 'platform', expires_in_seconds: 60 })).body.data.id;
    await expireNow(id);
    expect(await listed(ip)).toBe(true);
    const show = await api.request('GET', `/api/v1/bans/${id}`, { token: t.root });
    expect(show.body.data.status).toBe('expired');
    expect(await listed(ip)).toBe(false);
  });

  it('lists active bans by default and filters by status, scope and ip; tenants see only their own', async () => {
    const active = freshIp();
    const expired = freshIp();
    const a = (await ban(t.adminA, { ip: active, reason: 'brute force on 1001' })).body.data.id;
    const e = (await ban(t.adminA, { ip: expired, expires_in_seconds: 60 })).body.data.id;
    await expireNow(e);
    const platformBan = (await ban(t.root, { ip: freshIp(), scope: 'platform' })).body.data.id;
    const ids = async (q: string, token = t.adminA) => {
      const res = await api.request('GET', `/api/v1/bans?per_page=100&${q}`, { token });
      expect(res.status).toBe(200);
      return res.body.data.map((b: { id: string }) => b.id);
    };
    const defaults = await ids('');
    expect(defaults).toContain(a);
    expect(defaults).not.toContain(e);
    expect(defaults).not.toContain(platformBan);
    expect(await ids('filter[status]=expired')).toEqual([e]);
    expect(await ids('filter[status]=all')).toEqual(expect.arrayContaining([a, e]));
    expect(await ids(`filter[ip]=${active.toUpperCase()}`)).toEqual([a]);
    const one = await api.request('GET', `/api/v1/bans?filter[ip]=${active}`, { token: t.adminA });
    expect(one.body.data[0]).toMatchObject({
      reason: 'brute force on 1001',
      source: 'manual',
      expires_at: null,
    });
    expect(await ids('', t.adminB)).not.toEqual(expect.arrayContaining([a]));
    expect(await ids('filter[scope]=platform', t.root)).toContain(platformBan);
    expect(await ids('filter[scope]=platform')).toEqual([]);
    const bad = await api.request('GET', '/api/v1/bans?filter[status]=gone&filter[ip]=x', {
      token: t.adminA,
    });
    expect(Object.keys(bad.body.errors).sort()).toEqual(['filter.ip', 'filter.status']);
  });

  it('isolates tenants (404) and enforces RBAC (403)', async () => {
    const mine = (await ban(t.adminA, { ip: freshIp() })).body.data.id;
    const platformBan = (await ban(t.root, { ip: freshIp(), scope: 'platform' })).body.data.id;
    for (const [token, id] of [
      [t.adminB, mine],
      [t.adminA, platformBan],
    ]) {
      expect((await api.request('GET', `/api/v1/bans/${id}`, { token })).status).toBe(404);
      expect((await api.request('DELETE', `/api/v1/bans/${id}`, { token })).status).toBe(404);
    }
    expect((await api.request('GET', `/api/v1/bans/${randomUUID()}`, { token: t.adminA })).status).toBe(404);
    expect((await api.request('GET', `/api/v1/bans/${mine}`, { token: t.auditorA })).status).toBe(200);
    expect((await ban(t.auditorA, { ip: freshIp() })).status).toBe(403);
    expect((await api.request('DELETE', `/api/v1/bans/${mine}`, { token: t.auditorA })).status).toBe(403);
    expect((await api.request('GET', '/api/v1/bans', { token: t.supervisorA })).status).toBe(403);
    expect((await api.request('GET', `/api/v1/bans/${mine}`, { token: t.adminA })).body.data.status).toBe(
      'active',
    );
  });
});

describe('bans: BANS_ALLOW_LOOPBACK (for tests only)', () => {
  let api: TestApi;
  let redis: Redis;
  let root: string;
  // Random, so a run never lifts a ban another suite placed on a fixed test address such as 127.0.0.66.
  const ip = `127.66.${randomBytes(1)[0]}.${1 + (randomBytes(1)[0] % 254)}`;

  beforeAll(async () => {
    api = await startApi({ BANS_ALLOW_LOOPBACK: 'true' });
    redis = createRedis(api.config.REDIS_URL, 'pbx-test-bans-loopback');
    const platform = await seedTenant(api, 'Bans loopback platform');
    root = (await login(api, await seedUser(api, platform.id, ['platform_admin']))).access;
  });

  afterAll(async () => {
    await api.app
      .get(DataSource)
      .query(`UPDATE bans SET lifted_at = now() WHERE ip = $1 AND lifted_at IS NULL`, [ip]);
    await redis.srem(RedisKeys.bannedIps, ip);
    await redis.quit();
    await api.close();
  });

  it("bans a loopback address other than the stack's own, onto the edge drop list", async () => {
    const res = await api.request('POST', '/api/v1/bans', {
      token: root,
      body: { ip, reason: 'scanner', scope: 'platform' },
    });
    expect(res.status).toBe(201);
    expect(res.body.data.ip).toBe(ip);
    expect(await redis.sismember(RedisKeys.bannedIps, ip)).toBe(1);
    expect((await api.request('DELETE', `/api/v1/bans/${res.body.data.id}`, { token: root })).status).toBe(204);
    expect(await redis.sismember(RedisKeys.bannedIps, ip)).toBe(0);
  });

  it.each(['127.0.0.1', '::1', '::ffff:127.0.0.1', '0.0.0.0'])('still refuses %s', async (own) => {
    const res = await api.request('POST', '/api/v1/bans', {
      token: root,
      body: { ip: own, reason: 'scanner', scope: 'platform' },
    });
    expect(res.status).toBe(422);
    expect(Object.keys(res.body.errors)).toEqual(['ip']);
  });
});
