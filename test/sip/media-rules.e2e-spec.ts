import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { createRedis, RedisKeys } from '../../libs/common/src';
import { createTenant, dropTenant, type TestTenant } from './helpers/accounts';
import { openDb, startPbx, type PbxUnderTest } from './helpers/pbx-harness';
import { OFFER, Phone } from './helpers/phone';

/** Issue 9 item 4: the tenant's media rules on a device's offer, before anything rings. */
describe('sip media rules: SRTP on device legs and the codec allow-list', () => {
  let pbx: PbxUnderTest;
  let db: DataSource;
  let redis: Redis;
  let tenant: TestTenant;
  const phones: Phone[] = [];

  const phone = async (i: number) => {
    const d = tenant.devices[i];
    const p = await Phone.open({ host: pbx.host, port: pbx.port('udp') }, { username: d.username, password: d.password, realm: tenant.realm });
    phones.push(p);
    return p;
  };
  /** Tenant settings reach the SIP app through its account cache (2 s in tests). */
  const setMedia = async (srtpRequired: boolean, codecs: string[]) => {
    await db.query(`UPDATE tenants SET srtp_required = $2, codec_allow_list = $3 WHERE id = $1`, [tenant.id, srtpRequired, codecs]);
    await new Promise((r) => setTimeout(r, 2100));
  };

  beforeAll(async () => {
    db = await openDb();
    redis = createRedis(process.env.REDIS_URL as string, 'sip-media-rules-test');
    tenant = await createTenant(db, [{ username: 'alice' }, { username: 'bob' }]);
    pbx = await startPbx();
  });

  beforeEach(async () => {
    for (const d of tenant.devices) await redis.del(RedisKeys.deviceRegistrations(tenant.id, d.id));
  });

  afterAll(async () => {
    for (const p of phones) p.close();
    await pbx?.close();
    await db.query(`DELETE FROM cdrs WHERE tenant_id = $1`, [tenant.id]);
    await dropTenant(db, tenant.id);
    await db.destroy();
    await redis.quit();
  });

  it('refuses a plain-RTP offer with 488 and a Warning, and rings nobody', async () => {
    const alice = await phone(0);
    const bob = await phone(1);
    for (const p of [alice, bob]) expect(await p.register()).toBe(200);
    const call = await alice.call('1002', { sdp: OFFER(40100, 'RTP/AVP', '') });
    expect(call.final?.status).toBe(488);
    expect(call.final?.reason).toBe('Not Acceptable Here');
    expect(call.final?.header('Warning')).toBe('399 pbx "SRTP required: the audio stream (RTP/AVP) has no SDES crypto or DTLS fingerprint"');
    await new Promise((r) => setTimeout(r, 300));
    expect(bob.inbox.some((m) => m.method === 'INVITE')).toBe(false);

    // An SDES offer from the same phone goes through.
    const ok = await alice.call('1002');
    expect(ok.final?.status).toBe(200);
    ok.hangUp();
  });

  it('lets plain RTP through once the tenant no longer requires SRTP', async () => {
    await setMedia(false, []);
    try {
      const alice = await phone(0);
      const bob = await phone(1);
      for (const p of [alice, bob]) expect(await p.register()).toBe(200);
      const call = await alice.call('1002', { sdp: OFFER(40102, 'RTP/AVP', '') });
      expect(call.final?.status).toBe(200);
      call.hangUp();
    } finally {
      await setMedia(true, []);
    }
  });

  it('strips codecs outside the allow-list before the callee sees the offer, and refuses with 488 when none is left', async () => {
    await setMedia(true, ['PCMA']);
    try {
      const alice = await phone(0);
      const bob = await phone(1);
      for (const p of [alice, bob]) expect(await p.register()).toBe(200);
      const call = await alice.call('1002');
      expect(call.final?.status).toBe(200);
      const invite = await bob.next((m) => m.method === 'INVITE', 'INVITE at bob');
      expect(invite.body).toMatch(/^m=audio \d+ RTP\/SAVP 8\r$/m);
      expect(invite.body).not.toContain('PCMU');
      call.hangUp();

      await setMedia(true, ['G722']);
      const refused = await alice.call('1002');
      expect(refused.final?.status).toBe(488);
      expect(refused.final?.header('Warning')).toBe('305 pbx "no codec of the audio stream is allowed (allowed: G722)"');
    } finally {
      await setMedia(true, []);
    }
  });
});
