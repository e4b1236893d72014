import { createSocket, type Socket } from 'node:dgram';
import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { createRedis, RedisKeys } from '../../libs/common/src';
import { createTenant, dropTenant, type TestTenant } from './helpers/accounts';
import { openDb, startPbx, type PbxUnderTest } from './helpers/pbx-harness';
import { OFFER, Phone } from './helpers/phone';

const rtpPacket = (seq: number): Buffer => {
  const b = Buffer.alloc(12 + 160, 0xff);
  b[0] = 0x80; // RTP v2
  b[1] = 0; // PCMU
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(seq * 160, 4);
  b.writeUInt32BE(0x5eed, 8);
  return b;
};

/** Plain-RTP phones (their tenant allows it) send real packets through rtpengine, then go silent. */
describe('sip media: RTP timeout and media quality in the CDR', () => {
  let pbx: PbxUnderTest;
  let db: DataSource;
  let redis: Redis;
  let tenant: TestTenant;
  const sockets: Socket[] = [];
  const phones: Phone[] = [];

  const phone = async (i: number) => {
    const d = tenant.devices[i];
    const p = await Phone.open({ host: pbx.host, port: pbx.port('udp') }, { username: d.username, password: d.password, realm: tenant.realm });
    phones.push(p);
    expect(await p.register()).toBe(200);
    return p;
  };
  const udp = async (port = 0): Promise<Socket> => {
    const s = createSocket('udp4');
    sockets.push(s);
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(port, '127.0.0.1', () => resolve());
    });
    return s;
  };

  beforeAll(async () => {
    db = await openDb();
    redis = createRedis(process.env.REDIS_URL as string, 'sip-media-timeout-test');
    tenant = await createTenant(db, [{ username: 'alice' }, { username: 'bob' }]);
    await db.query(`UPDATE tenants SET srtp_required = false WHERE id = $1`, [tenant.id]);
    pbx = await startPbx({ env: { MEDIA_RTP_TIMEOUT_SECONDS: '2', MEDIA_CHECK_INTERVAL_MS: '300' } });
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    for (const p of phones) p.close();
    await pbx?.close();
    await db.query(`DELETE FROM cdrs WHERE tenant_id = $1`, [tenant.id]);
    await dropTenant(db, tenant.id);
    await db.destroy();
    await redis.quit();
  });

  it('relays RTP, ends the call on both legs once no RTP flows, and keeps packets per leg in the CDR and the metrics', async () => {
    const alice = await phone(0);
    const bob = await phone(1);
    // Bob's phone answers plain RTP on this socket: it counts what rtpengine relays.
    const bobMedia = await udp();
    bob.answerSdp = OFFER(bobMedia.address().port, 'RTP/AVP', '');
    let relayed = 0;
    bobMedia.on('message', () => relayed++);
    const aliceMedia = await udp();
    const call = await alice.call('1002', { sdp: OFFER(aliceMedia.address().port, 'RTP/AVP', '') });
    expect(call.final?.status).toBe(200);
    const port = Number(/^m=audio (\d+) RTP\/AVP /m.exec(call.final?.body ?? '')?.[1]);
    expect(port).toBeGreaterThanOrEqual(35000);
    expect(port).toBeLessThanOrEqual(35999);

    for (let seq = 1; seq <= 50; seq++) {
      aliceMedia.send(rtpPacket(seq), port, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 20));
    }
    const silentFrom = Date.now();
    const byeA = await alice.next((m) => m.method === 'BYE', 'BYE at alice', 6000);
    await bob.next((m) => m.method === 'BYE', 'BYE at bob', 2000);
    const silence = Date.now() - silentFrom;
    // rtpengine keeps "last packet" in whole seconds: the 2 s timeout fires after 1-3.3 s of silence.
    expect(silence).toBeGreaterThan(1000);
    expect(silence).toBeLessThan(4000);
    expect(byeA.header('Reason')).toMatch(/RTP timeout: no media for [23] s/);
    expect(relayed).toBeGreaterThanOrEqual(45);

    let row: { hangup_cause: string; disposition: string; media_quality: { caller: { packets: number }; callee: { packets: number } } } | undefined;
    for (const deadline = Date.now() + 5000; !row && Date.now() < deadline; await new Promise((r) => setTimeout(r, 50)))
      [row] = await db.query(`SELECT disposition, hangup_cause, media_quality FROM cdrs WHERE tenant_id = $1 AND call_id = $2`, [tenant.id, call.callId]);
    expect(row?.disposition).toBe('answered');
    expect(row?.hangup_cause).toMatch(/^200 RTP timeout: no media for [23] s$/);
    expect(row?.media_quality.caller).toMatchObject({ packets: 50, bytes: 50 * 172, mos: null, mosSource: null });
    expect(row?.media_quality.callee).toMatchObject({ packets: 0 });
    expect(await redis.hexists(RedisKeys.tenantCalls(tenant.id), call.callId)).toBe(0);

    const metrics = await (await fetch(`http://127.0.0.1:${pbx.sip.opsPort}/metrics`)).text();
    expect(metrics).toMatch(/^sip_media_calls_ended_total\{reason="rtp_timeout",app="sip"\} 1$/m);
    expect(metrics).toMatch(/^sip_media_rtp_packets_total\{leg="caller",app="sip"\} 50$/m);
    expect(metrics).toMatch(/^sip_media_anchoring_total\{outcome="anchored",app="sip"\} 1$/m);
  });
});
