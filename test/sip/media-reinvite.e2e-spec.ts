import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { createRedis, RedisKeys } from '../../libs/common/src';
import { createTenant, dropTenant, type TestTenant } from './helpers/accounts';
import { openDb, startPbx, type PbxUnderTest } from './helpers/pbx-harness';
import { OFFER, Phone } from './helpers/phone';

const mediaLine = (sdp: string | undefined) => /^m=audio (\d+) (\S+) /m.exec(sdp ?? '') ?? [];

/** Session changes in an anchored call: early media, re-INVITEs and UPDATEs go through rtpengine too. */
describe('sip media: early media, re-INVITEs and UPDATEs through rtpengine', () => {
  let pbx: PbxUnderTest;
  let db: DataSource;
  let redis: Redis;
  let tenant: TestTenant;
  const phones: Phone[] = [];

  const phone = async (i: number) => {
    const d = tenant.devices[i];
    const p = await Phone.open({ host: pbx.host, port: pbx.port('udp') }, { username: d.username, password: d.password, realm: tenant.realm });
    phones.push(p);
    expect(await p.register()).toBe(200);
    return p;
  };

  beforeAll(async () => {
    db = await openDb();
    redis = createRedis(process.env.REDIS_URL as string, 'sip-media-reinvite-test');
    tenant = await createTenant(db, [{ username: 'alice' }, { username: 'bob' }]);
    pbx = await startPbx();
  });

  beforeEach(async () => {
    for (const d of tenant.devices) await redis.del(RedisKeys.deviceRegistrations(tenant.id, d.id));
    for (const p of phones.splice(0)) p.close();
  });

  afterAll(async () => {
    for (const p of phones) p.close();
    await pbx?.close();
    await db.query(`DELETE FROM cdrs WHERE tenant_id = $1`, [tenant.id]);
    await dropTenant(db, tenant.id);
    await db.destroy();
    await redis.quit();
  });

  it("relays the callee's early media (183 with SDP) to the caller through rtpengine", async () => {
    const alice = await phone(0);
    const bob = await phone(1);
    bob.answerMode = { kind: 'answer', afterMs: 400, earlyMedia: true };
    const call = await alice.call('1002', { sdp: OFFER(40210) });
    expect(call.final?.status).toBe(200);
    const early = alice.inbox.find((m) => m.status === 183 && m.header('Call-ID') === call.callId);
    const [, earlyPort, earlyProfile] = mediaLine(early?.body);
    expect(Number(earlyPort)).toBeGreaterThanOrEqual(35000);
    expect(earlyProfile).toBe('RTP/SAVP');
    // bob's own media port never reaches alice: early and final answers name the same rtpengine port.
    expect(early?.body).not.toContain(String(42000 + (bob.port % 1000) * 2));
    expect(mediaLine(call.final?.body)[1]).toBe(earlyPort);
    call.hangUp();
    await bob.next((m) => m.method === 'BYE', 'BYE at bob');
  });

  it("relays a caller's re-INVITE through rtpengine to the callee, and refuses one without SRTP", async () => {
    const alice = await phone(0);
    const bob = await phone(1);
    const call = await alice.call('1002', { sdp: OFFER(40200) });
    expect(call.final?.status).toBe(200);
    const [, anchoredPort] = mediaLine(call.final?.body);
    await bob.next((m) => m.method === 'INVITE', 'INVITE at bob');

    // A new offer (the phone moved its media to another port): bob sees rtpengine, never alice's port.
    const moved = await call.reInvite(OFFER(40300));
    expect(moved.status).toBe(200);
    expect(mediaLine(moved.body).slice(1)).toEqual([anchoredPort, 'RTP/SAVP']);
    expect(moved.body).toMatch(/^a=crypto:\d+ AES_CM_128_HMAC_SHA1_(80|32) inline:/m);
    const reinvite = await bob.next((m) => m.method === 'INVITE', 're-INVITE at bob');
    const [, bobSide, bobProfile] = mediaLine(reinvite.body);
    expect(Number(bobSide)).toBeGreaterThanOrEqual(35000);
    expect(bobProfile).toBe('RTP/SAVP');
    expect(reinvite.body).not.toContain('40300');

    // Plain RTP mid-call is refused like a plain offer at call set-up; the call stays up.
    const plain = await call.reInvite(OFFER(40302, 'RTP/AVP', ''));
    expect(plain.status).toBe(488);
    expect(plain.header('Warning')).toBe('399 pbx "SRTP required: the audio stream (RTP/AVP) has no SDES crypto or DTLS fingerprint"');
    await new Promise((r) => setTimeout(r, 200));
    expect(bob.inbox.some((m) => m.method === 'INVITE')).toBe(false);
    expect(await redis.hexists(RedisKeys.tenantCalls(tenant.id), call.callId)).toBe(1);
    call.hangUp();
    await bob.next((m) => m.method === 'BYE', 'BYE at bob');
  });

  it("relays a caller's UPDATE through rtpengine to the callee, and refuses one without SRTP", async () => {
    const alice = await phone(0);
    const bob = await phone(1);
    const call = await alice.call('1002', { sdp: OFFER(40400) });
    expect(call.final?.status).toBe(200);
    const [, anchoredPort] = mediaLine(call.final?.body);
    await bob.next((m) => m.method === 'INVITE', 'INVITE at bob');

    const moved = await call.update(OFFER(40500));
    expect(moved.status).toBe(200);
    expect(mediaLine(moved.body).slice(1)).toEqual([anchoredPort, 'RTP/SAVP']);
    expect(moved.body).toMatch(/^a=crypto:\d+ AES_CM_128_HMAC_SHA1_(80|32) inline:/m);
    const update = await bob.next((m) => m.method === 'UPDATE', 'UPDATE at bob');
    const [, bobSide, bobProfile] = mediaLine(update.body);
    expect(Number(bobSide)).toBeGreaterThanOrEqual(35000);
    expect(bobProfile).toBe('RTP/SAVP');
    expect(update.body).not.toContain('40500');

    const plain = await call.update(OFFER(40502, 'RTP/AVP', ''));
    expect(plain.status).toBe(488);
    await new Promise((r) => setTimeout(r, 200));
    expect(bob.inbox.some((m) => m.method === 'UPDATE')).toBe(false); // next() took the first one
    expect(await redis.hexists(RedisKeys.tenantCalls(tenant.id), call.callId)).toBe(1);
    call.hangUp();
    await bob.next((m) => m.method === 'BYE', 'BYE at bob');
  });
});
