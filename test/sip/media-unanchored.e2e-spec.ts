import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { createRedis, encrypt, parseKeyring, RedisKeys, trunkSecretAad } from '../../libs/common/src';
import { freeUdpPort } from '../sip-edge/helpers/edge-harness';
import { runSipp } from '../sip-edge/helpers/sipp';
import { createTenant, dropTenant, type TestTenant } from './helpers/accounts';
import { openDb, startPbx, type PbxUnderTest } from './helpers/pbx-harness';
import { Phone } from './helpers/phone';
import { TestRtpengine } from './helpers/rtpengine';

const KEKS = `1:${Buffer.alloc(32, 7).toString('base64')}`;

/** A trunk that allows unanchored media keeps calling out while rtpengine is away; others get 503. */
describe('sip media: unanchored media only where a trunk allows it', () => {
  const NG_PORT = 22_349;
  let rtpengine: TestRtpengine;
  let pbx: PbxUnderTest;
  let db: DataSource;
  let redis: Redis;
  let tenant: TestTenant;
  let carrierPort: number;
  const phones: Phone[] = [];

  beforeAll(async () => {
    db = await openDb();
    redis = createRedis(process.env.REDIS_URL as string, 'sip-media-unanchored-test');
    tenant = await createTenant(db, [{ username: 'alice' }]);
    await db.query(`UPDATE tenants SET default_country = 'GB' WHERE id = $1`, [tenant.id]);
    carrierPort = await freeUdpPort();
    const ring = parseKeyring(KEKS);
    const trunk = async (prefix: string, allow: boolean) => {
      const id = randomUUID();
      await db.query(
        `INSERT INTO trunks (id, tenant_id, name, host, port, transport, auth_username, auth_secret_ciphertext, auth_secret_key_version, inbound_cidrs, status, allow_unanchored_media)
         VALUES ($1, $2, $3, '127.0.0.1', $4, 'udp', 'acct-test', $5, $6, '{}', 'active', $7)`,
        [id, tenant.id, `carrier-${prefix}`, carrierPort, encrypt('carrier-secret-1', ring, trunkSecretAad(tenant.id, id)), ring.current, allow],
      );
      await db.query(`INSERT INTO outbound_routes (tenant_id, name, prefix, priority, trunk_id) VALUES ($1, $2, $3, 1, $4)`, [tenant.id, prefix, prefix, id]);
    };
    await trunk('+4420', true);
    await trunk('+44113', false);
    rtpengine = await TestRtpengine.start(NG_PORT, 36_600, 36_699);
    pbx = await startPbx({ env: { SECRETS_KEKS: KEKS, RTPENGINE_NG_PORT: String(NG_PORT), RTPENGINE_TIMEOUT_MS: '300' } });
  });

  afterAll(async () => {
    for (const p of phones) p.close();
    await pbx?.close();
    await rtpengine?.stop();
    await db.query(`DELETE FROM cdrs WHERE tenant_id = $1`, [tenant.id]);
    await db.query(`DELETE FROM outbound_routes WHERE tenant_id = $1`, [tenant.id]);
    await db.query(`DELETE FROM trunks WHERE tenant_id = $1`, [tenant.id]);
    await dropTenant(db, tenant.id);
    await db.destroy();
    await redis.quit();
  });

  it('with rtpengine dead, calls out through the trunk that allows it with media end to end, and refuses the other with 503', async () => {
    await redis.del(RedisKeys.deviceRegistrations(tenant.id, tenant.devices[0].id));
    const d = tenant.devices[0];
    const alice = await Phone.open({ host: pbx.host, port: pbx.port('udp') }, { username: d.username, password: d.password, realm: tenant.realm });
    phones.push(alice);
    await rtpengine.kill();

    const refused = await alice.call('01134960000');
    expect(refused.final?.status).toBe(503);
    expect(refused.final?.header('Warning')).toBe('399 pbx "media relay (rtpengine) unreachable"');

    const sbc = runSipp(['-sf', join(__dirname, 'scenarios', 'trunk-uas-auth.xml'), '-i', '127.0.0.1', '-p', String(carrierPort), '-mp', String(carrierPort + 2)], { timeoutS: 15 });
    await new Promise((r) => setTimeout(r, 300));
    const call = await alice.call('02079460321');
    expect(call.final?.status).toBe(200);
    // Unanchored: the carrier's own plain-RTP answer reaches the phone, not an rtpengine port.
    expect(call.final?.body).toMatch(/^m=audio \d+ RTP\/AVP /m);
    expect(call.final?.body).not.toMatch(/^m=audio 366\d\d /m);
    await new Promise((r) => setTimeout(r, 1100));
    call.hangUp();
    await alice.next((m) => m.status === 200 && /BYE$/.test(m.header('CSeq') ?? ''), '200 to BYE');
    expect((await sbc).code).toBe(0);
    const metrics = await (await fetch(`http://127.0.0.1:${pbx.sip.opsPort}/metrics`)).text();
    expect(metrics).toMatch(/^sip_media_anchoring_total\{outcome="unanchored",app="sip"\} 1$/m);
    expect(metrics).toMatch(/^sip_media_anchoring_total\{outcome="refused",app="sip"\} 1$/m);
  });
});
