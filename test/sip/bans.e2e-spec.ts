import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { banIp, createRedis, publishFloodReport, RedisKeys, unbanIp } from '../../libs/common/src';
import { createTenant, dropTenant, type TestTenant } from './helpers/accounts';
import { openDb, startPbx, type PbxUnderTest } from './helpers/pbx-harness';
import { Phone } from './helpers/phone';
import { RegisterClient } from './helpers/register-client';

// Loopback addresses other than the stack's own, which BANS_ALLOW_LOOPBACK (on in the harness) lets us ban.
const SCANNER_IP = '127.0.0.66';
const OFFICE_IP = '127.0.0.67';
const GUESSER_IP = '127.0.0.68';
const FLOODER_IP = '127.0.0.69';
const REPORTED_IP = '127.0.0.70';
const PRE_BANNED_IP = '127.0.0.72';
const TEST_IPS = [SCANNER_IP, OFFICE_IP, GUESSER_IP, FLOODER_IP, REPORTED_IP, PRE_BANNED_IP];

describe('sip banning: scanners and password guessers, but not our own offices', () => {
  let pbx: PbxUnderTest;
  let db: DataSource;
  let redis: Redis;
  let tenant: TestTenant;
  const clients: RegisterClient[] = [];

  const client = async (address: string) => {
    const c = await RegisterClient.open({ host: pbx.host, port: pbx.port('udp') }, address);
    clients.push(c);
    return c;
  };
  const creds = (i: number, password = tenant.devices[i].password) => ({ username: tenant.devices[i].username, password, realm: tenant.realm });
  const platformBans = async (ip: string) =>
    (await db.query(`SELECT source, expires_at FROM bans WHERE ip = $1 AND tenant_id IS NULL AND lifted_at IS NULL`, [ip])) as Array<{
      source: string;
      expires_at: Date;
    }>;

  const cleanup = async () => {
    for (const ip of TEST_IPS) {
      await unbanIp(redis, ip);
      await redis.del(`pbx:offences:${ip}`, `pbx:authfail:ip:${ip}`, `pbx:regip:${ip}`, `pbx:flood-handled:${ip}`);
    }
    await db.query(`DELETE FROM bans WHERE ip = ANY($1)`, [TEST_IPS]);
  };

  beforeAll(async () => {
    db = await openDb();
    redis = createRedis(process.env.REDIS_URL as string, 'sip-bans-test');
    await cleanup();
    tenant = await createTenant(db, [{ username: 'agent1' }, { username: 'agent2' }, { username: 'target' }]);
    pbx = await startPbx({
      dropList: true,
      env: { SIP_AUTH_FAIL_IP_THRESHOLD: '5', SIP_AUTH_FAIL_DEVICE_THRESHOLD: '5', SIP_FLOOD_DENSITY: '30' },
    });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await pbx?.close();
    await cleanup();
    await dropTenant(db, tenant.id);
    await db.destroy();
    await redis.quit();
  });

  it('bans a scanner on its first request; the edge then drops it', async () => {
    const scanner = await client(SCANNER_IP);
    const r = await scanner.register({ user: '100', realm: tenant.realm }, { headers: ['User-Agent: friendly-scanner'] });
    expect([r?.status, r?.reason]).toEqual([403, 'Forbidden']);
    const [ban] = await platformBans(SCANNER_IP);
    expect(ban.source).toBe('scanner');
    expect(ban.expires_at.getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect(await redis.sismember(RedisKeys.bannedIps, SCANNER_IP)).toBe(1);
    // Dropped before parsing: not even a challenge comes back, whatever the request says.
    expect(await scanner.register({ user: 'agent1', realm: tenant.realm }, { timeoutMs: 1500 })).toBeNull();
    // Everyone else is still served.
    expect((await (await client('127.0.0.1')).login(creds(0))).final?.status).toBe(200);
  });

  it('bans an address that keeps guessing passwords, with a longer ban for a repeat offender', async () => {
    const guesser = await client(GUESSER_IP);
    for (let i = 0; i < 5; i++) expect((await guesser.login(creds(2, `guess-${i}`))).final?.status).toBe(403);
    const [first] = await platformBans(GUESSER_IP);
    expect(first.source).toBe('brute_force');
    expect(await guesser.register({ user: 'target', realm: tenant.realm }, { timeoutMs: 1500 })).toBeNull();
    const firstLength = first.expires_at.getTime() - Date.now();

    // An admin lifts the ban; the address offends again and gets four times as long.
    await db.query(`UPDATE bans SET lifted_at = now() WHERE ip = $1`, [GUESSER_IP]);
    await unbanIp(redis, GUESSER_IP);
    await redis.del(`pbx:authfail:ip:${GUESSER_IP}`);
    const again = await client(GUESSER_IP);
    for (let i = 0; i < 5; i++) await again.login(creds(2, `guess-again-${i}`));
    const [second] = await platformBans(GUESSER_IP);
    expect(second.expires_at.getTime() - Date.now()).toBeGreaterThan(firstLength * 3);
    // The device itself was not locked by strangers' guesses.
    const [{ status }] = (await db.query(`SELECT status FROM devices WHERE id = $1`, [tenant.devices[2].id])) as Array<{ status: string }>;
    expect(status).toBe('active');
  });

  it('does not ban an office address holding live registrations; locks the device being guessed instead', async () => {
    const good = await client(OFFICE_IP);
    expect((await good.login(creds(0))).final?.status).toBe(200);
    const bad = await client(OFFICE_IP);
    for (let i = 0; i < 6; i++) expect((await bad.login(creds(1, `stale-${i}`))).final?.status).toBe(403);
    expect(await platformBans(OFFICE_IP)).toEqual([]);
    expect(await redis.sismember(RedisKeys.bannedIps, OFFICE_IP)).toBe(0);
    const [device] = (await db.query(`SELECT status, lock_level FROM devices WHERE id = $1`, [tenant.devices[1].id])) as Array<{ status: string; lock_level: number }>;
    expect(device).toEqual({ status: 'locked', lock_level: 3 });
    const alerts = (await db.query(`SELECT kind FROM alerts WHERE device_id = $1`, [tenant.devices[1].id])) as Array<{ kind: string }>;
    expect(alerts.map((a) => a.kind)).toContain('sip_auth_failures');
    const audit = (await db.query(`SELECT action FROM audit_log WHERE target_id = $1`, [tenant.devices[1].id])) as Array<{ action: string }>;
    expect(audit.map((a) => a.action)).toContain('device.locked');
    // The locked device is refused even with the right password (once the lock's invalidation arrived).
    const retry = await client(OFFICE_IP);
    let answer = '';
    for (const deadline = Date.now() + 3000; answer !== '403 Account disabled' && Date.now() < deadline; ) {
      const r = await retry.register({ user: tenant.devices[1].username, realm: tenant.realm });
      answer = `${r?.status} ${r?.reason}`;
    }
    expect(answer).toBe('403 Account disabled');
    expect((await good.login(creds(0))).final?.status).toBe(200);
    // Locked outright, it may still call for help, and nothing else.
    const desk = await Phone.open({ host: pbx.host, port: pbx.port('udp') }, creds(1), OFFICE_IP);
    try {
      const colleague = await desk.call('1001');
      expect(`${colleague.final?.status} ${colleague.final?.reason}`).toBe('403 Account disabled');
      const help = await desk.call('911');
      // Admitted, authenticated and allowed by the policy; this test stack has no trunk to carry it.
      expect(`${help.final?.status} ${help.final?.header('Warning')}`).toBe('404 399 pbx "no outbound route for 911"');
      expect(await db.query(`SELECT disposition, direction, to_number, hangup_cause FROM cdrs WHERE call_id = $1`, [help.callId])).toEqual([
        { disposition: 'failed', direction: 'outbound', to_number: '911', hangup_cause: '404 no outbound route for 911' },
      ]);
    } finally {
      desk.close();
    }
  });

  it('drops a flooding source in the app (as under drachtio-server, which has no guard) and bans it', async () => {
    const flooder = await client(FLOODER_IP);
    const answers = await Promise.all(
      Array.from({ length: 60 }, () => flooder.register({ user: 'agent1', realm: tenant.realm }, { timeoutMs: 1500 })),
    );
    const answered = answers.filter((a) => a !== null).length;
    expect(answered).toBeGreaterThanOrEqual(25);
    expect(answered).toBeLessThanOrEqual(31);
    let bans: Array<{ source: string }> = [];
    for (const deadline = Date.now() + 3000; bans.length === 0 && Date.now() < deadline; ) {
      bans = await platformBans(FLOODER_IP);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(bans.map((b) => b.source)).toEqual(['scanner']);
  });

  it("bans a source the edge reported flooding, acting once on repeated reports (every app instance hears them)", async () => {
    await publishFloodReport(redis, { ip: REPORTED_IP, at: Date.now(), count: 900 });
    await publishFloodReport(redis, { ip: REPORTED_IP, at: Date.now(), count: 950 });
    let bans: Array<{ source: string }> = [];
    for (const deadline = Date.now() + 3000; bans.length === 0 && Date.now() < deadline; ) {
      bans = await platformBans(REPORTED_IP);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(bans.map((b) => b.source)).toEqual(['scanner']);
    expect(await redis.sismember(RedisKeys.bannedIps, REPORTED_IP)).toBe(1);
    expect(await redis.get(`pbx:offences:${REPORTED_IP}`)).toBe('1');
  });

  it('drops a banned source in the app itself when the front end has no drop list (drachtio-server)', async () => {
    const bare = await startPbx({ dropList: false });
    try {
      await banIp(redis, PRE_BANNED_IP);
      const port = { host: bare.host, port: bare.port('udp') };
      const banned = await RegisterClient.open(port, PRE_BANNED_IP);
      const other = await RegisterClient.open(port, '127.0.0.1');
      clients.push(banned, other);
      let answer: unknown = 'not tried';
      for (const deadline = Date.now() + 3000; answer !== null && Date.now() < deadline; )
        answer = await banned.register({ user: 'agent1', realm: tenant.realm }, { timeoutMs: 500 });
      expect(answer).toBeNull();
      expect((await other.register({ user: 'agent1', realm: tenant.realm }))?.status).toBe(401);
    } finally {
      await bare.close();
    }
  });
});
