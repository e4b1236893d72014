import {
  createRedis,
  LiveCall,
  putCall,
  putRegistration,
  RedisChannels,
  RedisKeys,
  removeCall,
  removeRegistration,
} from '@pbx/common';
import { AuditLogRepository } from '@pbx/database';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { login, seedTenant, seedUser, SeededUser, startApi, TestApi } from './harness';
import { until } from './ops-helpers';

describe('live: /api/v1/live', () => {
  let api: TestApi;
  let redis: Redis;
  let sub: Redis;
  const commands: Array<Record<string, unknown>> = [];
  const keys: string[] = [];
  let tenantA: { id: string };
  let tenantB: { id: string };
  let supervisor: SeededUser;
  const t: Record<'supervisor' | 'auditor' | 'agent' | 'adminB', string> = {
    supervisor: '',
    auditor: '',
    agent: '',
    adminB: '',
  };
  let d1: string;
  let d2: string;
  let dB: string;
  const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();

  async function seedDevice(tenantId: string): Promise<string> {
    const ds = api.app.get(DataSource);
    const number = String(1000 + keys.length);
    const [ext] = await ds.query(
      `INSERT INTO extensions (tenant_id, number, name) VALUES ($1, $2, 'Ext') RETURNING id`,
      [tenantId, number],
    );
    const [dev] = await ds.query(
      `INSERT INTO devices (tenant_id, extension_id, name, sip_username, ha1_md5, ha1_sha256)
       VALUES ($1, $2, 'Phone', $3, repeat('0', 32), repeat('0', 64)) RETURNING id`,
      [tenantId, ext.id, `u${randomUUID().slice(0, 8)}`],
    );
    keys.push(RedisKeys.deviceRegistrations(tenantId, dev.id));
    return dev.id;
  }

  const call = (over: Partial<LiveCall>): LiveCall => ({
    call_id: `${randomUUID()}@test`,
    direction: 'outbound',
    state: 'answered',
    device_id: null,
    extension_id: null,
    trunk_id: null,
    from_number: '+442079460000',
    to_number: '+12125550143',
    source_ip: '198.51.100.9',
    started_at: new Date().toISOString(),
    answered_at: null,
    ...over,
  });

  beforeAll(async () => {
    api = await startApi();
    redis = createRedis(api.config.REDIS_URL, 'pbx-test-live');
    sub = createRedis(api.config.REDIS_URL, 'pbx-test-live-sub');
    sub.on('message', (_: string, raw: string) => commands.push(JSON.parse(raw)));
    await sub.subscribe(RedisChannels.sipCommands);
    tenantA = await seedTenant(api, 'Live A');
    tenantB = await seedTenant(api, 'Live B');
    keys.push(RedisKeys.tenantCalls(tenantA.id), RedisKeys.tenantCalls(tenantB.id));
    supervisor = await seedUser(api, tenantA.id, ['supervisor']);
    t.supervisor = (await login(api, supervisor)).access;
    t.auditor = (await login(api, await seedUser(api, tenantA.id, ['auditor']))).access;
    t.agent = (await login(api, await seedUser(api, tenantA.id, ['agent']))).access;
    t.adminB = (await login(api, await seedUser(api, tenantB.id, ['tenant_admin']))).access;
    d1 = await seedDevice(tenantA.id);
    d2 = await seedDevice(tenantA.id);
    dB = await seedDevice(tenantB.id);
  });

  afterAll(async () => {
    await redis.del(...keys);
    await sub.quit();
    await redis.quit();
    await api.close();
  });

  const get = (path: string, token: string) => api.request('GET', `/api/v1/live/${path}`, { token });

  it('reads back registrations written by the SIP app helpers, drops expired and removed ones', async () => {
    const reg = {
      contact: 'sip:1001@198.51.100.7:5061;transport=tls',
      source_ip: '198.51.100.7',
      transport: 'tls',
      user_agent: 'Yealink T54W',
      expires_at: inAnHour(),
    };
    await putRegistration(redis, tenantA.id, d1, reg);
    await putRegistration(redis, tenantA.id, d1, {
      ...reg,
      contact: 'sip:1001@198.51.100.8',
      user_agent: null,
    });
    await putRegistration(redis, tenantA.id, d2, {
      ...reg,
      contact: 'sip:old@198.51.100.9',
      expires_at: new Date(Date.now() - 1000).toISOString(),
    });
    await putRegistration(redis, tenantB.id, dB, { ...reg, contact: 'sip:b@203.0.113.5' });
    expect(await redis.pttl(RedisKeys.deviceRegistrations(tenantA.id, d1))).toBeGreaterThan(3500_000);

    const res = await get('registrations', t.auditor);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['data']);
    expect(res.body.data).toHaveLength(2);
    expect(res.body.data).toContainEqual({ device_id: d1, ...reg });
    expect(res.body.data.map((r: { contact: string }) => r.contact)).not.toContain('sip:b@203.0.113.5');

    const one = await get(`registrations?filter[device_id]=${d2}`, t.auditor);
    expect(one.body.data).toEqual([]);
    await removeRegistration(redis, tenantA.id, d1, 'sip:1001@198.51.100.8');
    const after = await get(`registrations?filter[device_id]=${d1}`, t.auditor);
    expect(after.body.data.map((r: { contact: string }) => r.contact)).toEqual([reg.contact]);
  });

  it("never shows another tenant's device, even when asked for it by id", async () => {
    const res = await get(`registrations?filter[device_id]=${dB}`, t.supervisor);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([]);
    const mine = await get('registrations', t.adminB);
    expect(mine.body.data.map((r: { device_id: string }) => r.device_id)).toEqual([dB]);
    expect((await get('registrations?filter[device_id]=nope', t.supervisor)).status).toBe(422);
  });

  it('reads back calls, newest first, filtered by device, masked for callers without cdrs.view_numbers', async () => {
    const older = call({ device_id: d1, started_at: new Date(Date.now() - 60_000).toISOString() });
    const newer = call({ device_id: d2, direction: 'inbound', state: 'ringing' });
    await putCall(redis, tenantA.id, older);
    await putCall(redis, tenantA.id, newer);
    await redis.hset(RedisKeys.tenantCalls(tenantA.id), 'garbage', '{not json');
    await putCall(redis, tenantB.id, call({ device_id: dB }));

    const sup = await get('calls', t.supervisor);
    expect(sup.status).toBe(200);
    expect(sup.body.data.map((c: LiveCall) => c.call_id)).toEqual([newer.call_id, older.call_id]);
    expect(sup.body.data[1]).toEqual(older);

    const aud = await get('calls', t.auditor);
    expect(aud.body.data[1]).toEqual({ ...older, from_number: '+44 •••• 0000', to_number: '+1 •••• 0143' });
    expect(aud.text).not.toMatch(/2079460000|2125550143/);

    const filtered = await get(`calls?filter[device_id]=${d1}`, t.supervisor);
    expect(filtered.body.data.map((c: LiveCall) => c.call_id)).toEqual([older.call_id]);
    await removeCall(redis, tenantA.id, older.call_id);
    expect((await get('calls', t.supervisor)).body.data.map((c: LiveCall) => c.call_id)).toEqual([
      newer.call_id,
    ]);
  });

  it('hang-up publishes a SipCommand and answers 202; audited', async () => {
    const c = call({ call_id: `a/b c;${randomUUID()}@host` });
    await putCall(redis, tenantA.id, c);
    const res = await api.request('DELETE', `/api/v1/live/calls/${encodeURIComponent(c.call_id)}`, {
      token: t.supervisor,
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ data: { status: 'hangup_requested' } });
    await until(() => commands.some((m) => m.callId === c.call_id));
    expect(commands.find((m) => m.callId === c.call_id)).toEqual({
      op: 'hangup',
      tenantId: tenantA.id,
      callId: c.call_id,
      requestedBy: supervisor.id,
    });
    const audit = await api.app.get(AuditLogRepository).list(tenantA.id, {
      page: 1,
      perPage: 100,
      sort: [],
      filters: { action: 'live_call.hangup_requested' },
    });
    expect(audit.items[0]).toMatchObject({
      actorUserId: supervisor.id,
      targetType: 'call',
      metadata: { call_id: c.call_id },
    });
  });

  it("hang-up of an unknown call or another tenant's call is a 404 and publishes nothing", async () => {
    const foreign = call({ device_id: dB });
    await putCall(redis, tenantB.id, foreign);
    const ours = () => commands.filter((m) => m.tenantId === tenantA.id || m.tenantId === tenantB.id).length;
    const before = ours();
    for (const id of [foreign.call_id, 'no-such-call'])
      expect(
        (await api.request('DELETE', `/api/v1/live/calls/${encodeURIComponent(id)}`, { token: t.supervisor }))
          .status,
      ).toBe(404);
    await new Promise((r) => setTimeout(r, 100));
    expect(ours()).toBe(before);
  });

  it('enforces RBAC: auditors see but cannot hang up; agents see nothing', async () => {
    const c = call({});
    await putCall(redis, tenantA.id, c);
    const path = `/api/v1/live/calls/${encodeURIComponent(c.call_id)}`;
    expect((await api.request('DELETE', path, { token: t.auditor })).status).toBe(403);
    expect((await get('calls', t.agent)).status).toBe(403);
    expect((await get('registrations', t.agent)).status).toBe(403);
    expect((await api.request('GET', '/api/v1/live/calls')).status).toBe(401);
  });
});
