import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { createRedis, RedisKeys } from '../../libs/common/src';
import { createTenant, dropTenant, type TestTenant } from './helpers/accounts';
import { openDb, startPbx, type PbxUnderTest } from './helpers/pbx-harness';
import { Phone } from './helpers/phone';
import { TestRtpengine } from './helpers/rtpengine';

/**
 * rtpengine as a component of the SIP app, on a private rtpengine this suite kills and restarts:
 * health, new calls while it is gone, and calls in progress when it dies.
 */
describe('sip media relay: rtpengine reachability', () => {
  const NG_PORT = 22_347;
  let rtpengine: TestRtpengine;
  let pbx: PbxUnderTest;
  let db: DataSource;
  let redis: Redis;
  let tenant: TestTenant;
  const phones: Phone[] = [];

  const ready = async () => {
    const r = await fetch(`http://127.0.0.1:${pbx.sip.opsPort}/health/ready`);
    return { status: r.status, body: (await r.json()) as { checks: Record<string, { status: string }> } };
  };
  const phone = async (i: number) => {
    const d = tenant.devices[i];
    const p = await Phone.open({ host: pbx.host, port: pbx.port('udp') }, { username: d.username, password: d.password, realm: tenant.realm });
    phones.push(p);
    expect(await p.register()).toBe(200);
    return p;
  };
  const cdr = async (callId: string) => {
    for (const deadline = Date.now() + 8000; Date.now() < deadline; ) {
      const rows = (await db.query(`SELECT disposition, hangup_cause, media_quality FROM cdrs WHERE tenant_id = $1 AND call_id = $2`, [
        tenant.id,
        callId,
      ])) as Array<{ disposition: string; hangup_cause: string; media_quality: unknown }>;
      if (rows[0]) return rows[0];
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no CDR for ${callId}`);
  };

  beforeAll(async () => {
    db = await openDb();
    redis = createRedis(process.env.REDIS_URL as string, 'sip-media-relay-test');
    tenant = await createTenant(db, [{ username: 'alice' }, { username: 'bob' }]);
    rtpengine = await TestRtpengine.start(NG_PORT, 36_400, 36_499);
    pbx = await startPbx({
      env: { RTPENGINE_NG_PORT: String(NG_PORT), RTPENGINE_TIMEOUT_MS: '300', MEDIA_CHECK_INTERVAL_MS: '300', MEDIA_RTP_TIMEOUT_SECONDS: '600' },
    });
  });

  beforeEach(async () => {
    for (const d of tenant.devices) await redis.del(RedisKeys.deviceRegistrations(tenant.id, d.id));
    for (const p of phones.splice(0)) p.close();
  });

  afterAll(async () => {
    for (const p of phones) p.close();
    await pbx?.close();
    await rtpengine?.stop();
    await db.query(`DELETE FROM cdrs WHERE tenant_id = $1`, [tenant.id]);
    await dropTenant(db, tenant.id);
    await db.destroy();
    await redis.quit();
  });

  it('reports rtpengine in /health/ready: up while it answers, down (503) once it is gone, up again after a restart', async () => {
    expect(await ready()).toEqual({ status: 200, body: expect.objectContaining({ checks: expect.objectContaining({ rtpengine: { status: 'up' } }) }) });
    await rtpengine.kill();
    const down = await ready();
    expect(down.status).toBe(503);
    expect(down.body.checks.rtpengine).toEqual({ status: 'down' });
    expect(down.body.checks.drachtio).toEqual({ status: 'up' });
    await rtpengine.restart();
    expect((await ready()).status).toBe(200);
  });

  it('answers a new call 503 with the reason while rtpengine is unreachable, rings nobody, and records the attempt', async () => {
    const alice = await phone(0);
    const bob = await phone(1);
    await rtpengine.kill();
    try {
      const call = await alice.call('1002');
      expect(call.final?.status).toBe(503);
      expect(call.final?.header('Warning')).toBe('399 pbx "media relay (rtpengine) unreachable"');
      expect(call.final?.header('Retry-After')).toBe('30');
      expect(bob.inbox.some((m) => m.method === 'INVITE')).toBe(false);
      expect(await cdr(call.callId)).toMatchObject({ disposition: 'failed', hangup_cause: '503 media relay (rtpengine) unreachable', media_quality: null });
    } finally {
      await rtpengine.restart();
    }
  });

  it('keeps a call up while rtpengine is dead, then ends it on both legs once a restarted rtpengine has lost it', async () => {
    const alice = await phone(0);
    const bob = await phone(1);
    const call = await alice.call('1002');
    expect(call.final?.status).toBe(200);
    // Both legs were given rtpengine's ports, not each other's.
    expect(call.final?.body).toMatch(/^m=audio 364\d\d RTP\/SAVP /m);
    const invite = await bob.next((m) => m.method === 'INVITE', 'INVITE at bob');
    expect(invite.body).toMatch(/^m=audio 364\d\d RTP\/SAVP /m);

    await rtpengine.kill();
    // Several media checks fail to reach it: the call and its live record stay.
    await new Promise((r) => setTimeout(r, 1500));
    expect(alice.inbox.some((m) => m.method === 'BYE')).toBe(false);
    expect(bob.inbox.some((m) => m.method === 'BYE')).toBe(false);
    expect(await redis.hexists(RedisKeys.tenantCalls(tenant.id), call.callId)).toBe(1);

    // A restarted rtpengine has an empty call table: the call is ended cleanly, never left billing.
    const restartedAt = Date.now();
    await rtpengine.restart();
    const byeA = await alice.next((m) => m.method === 'BYE', 'BYE at alice', 5000);
    await bob.next((m) => m.method === 'BYE', 'BYE at bob', 5000);
    expect(Date.now() - restartedAt).toBeLessThan(3000);
    expect(byeA.header('Reason')).toContain('media relay lost the call');
    expect(await cdr(call.callId)).toMatchObject({
      disposition: 'answered',
      hangup_cause: '200 media relay lost the call (rtpengine restarted or timed it out)',
    });
  });
});
