import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { createRedis, RedisKeys } from '../../libs/common/src';
import { makeTestCert } from '../sip-edge/helpers/tls-cert';
import { createTenant, dropTenant, type TestTenant } from './helpers/accounts';
import { captureRelay, decodedRecording, mediaPortOf, soxStat, untilRtcpMos, writeTone } from './helpers/audio';
import { Baresip } from './helpers/baresip';
import { openDb, startPbx, type PbxUnderTest } from './helpers/pbx-harness';
import { readUdpPackets, type UdpPacket } from './helpers/pcap';
import { TestRtpengine } from './helpers/rtpengine';

const PORT_MIN = 36_500;
const PORT_MAX = 36_599;

const RELAY = { min: PORT_MIN, max: PORT_MAX };

/** Debian's baresip with real audio through the PBX and rtpengine, captured on the wire with tcpdump. */
describe('sip media: real audio between baresip phones through rtpengine', () => {
  const NG_PORT = 22_348;
  const cert = makeTestCert();
  const work = mkdtempSync(join(tmpdir(), 'pbx-media-'));
  const tone = join(work, 'tone-1000.wav');
  const low = join(work, 'tone-440.wav');
  let rtpengine: TestRtpengine;
  let pbx: PbxUnderTest;
  let db: DataSource;
  let redis: Redis;
  let tenant: TestTenant;
  const phones: Baresip[] = [];

  const setSrtpRequired = async (on: boolean) => {
    await db.query(`UPDATE tenants SET srtp_required = $2 WHERE id = $1`, [tenant.id, on]);
    await new Promise((r) => setTimeout(r, 2100)); // the SIP app's account cache (2 s in tests)
  };
  const waitRegistered = async (p: Baresip) => p.waitUntil(() => p.registerResponses().includes(200), 'REGISTER 200', 10_000);

  beforeAll(async () => {
    writeTone(tone, 1000, { seconds: 30 });
    writeTone(low, 440, { seconds: 30 });
    db = await openDb();
    redis = createRedis(process.env.REDIS_URL as string, 'sip-media-audio-test');
    // libre 1.1.0 (baresip 1.0.0) answers MD5 challenges only.
    tenant = await createTenant(db, [
      { username: 'desk', transports: ['tls'], algorithms: ['MD5'] },
      { username: 'soft', transports: ['udp'], algorithms: ['MD5'] },
    ]);
    rtpengine = await TestRtpengine.start(NG_PORT, PORT_MIN, PORT_MAX);
    pbx = await startPbx({
      contacts: ['sip:127.0.0.1:0;transport=udp', 'sips:127.0.0.1:0;transport=tls'],
      tls: { keyFile: cert.keyFile, certFile: cert.certFile, verifyOutbound: false },
      env: { RTPENGINE_NG_PORT: String(NG_PORT), MEDIA_CHECK_INTERVAL_MS: '500' },
    });
  });

  afterAll(async () => {
    for (const p of phones) await p.stop();
    await pbx?.close();
    await rtpengine?.stop();
    await db.query(`DELETE FROM cdrs WHERE tenant_id = $1`, [tenant.id]);
    await dropTenant(db, tenant.id);
    await db.destroy();
    await redis.quit();
    rmSync(work, { recursive: true, force: true });
    rmSync(cert.dir, { recursive: true, force: true });
  });

  it('refuses the plain-RTP phone with 488 while SRTP is required, then carries a tone both ways, SRTP on the TLS leg', async () => {
    const deskRec = mkdtempSync(join(work, 'desk-'));
    const softRec = mkdtempSync(join(work, 'soft-'));
    const [desk, soft] = tenant.devices;
    const deskPhone = Baresip.start({
      user: desk.username,
      realm: tenant.realm,
      password: desk.password,
      proxyPort: pbx.port('tls'),
      caFile: cert.certFile,
      mediaenc: 'srtp-mand',
      autoAnswer: true,
      audio: { source: `aufile,${low}`, recordDir: deskRec, ctrlPort: 4571 },
    });
    const softPhone = Baresip.start({
      user: soft.username,
      realm: tenant.realm,
      password: soft.password,
      proxyPort: pbx.port('udp'),
      transport: 'udp',
      audio: { source: `aufile,${tone}`, recordDir: softRec, ctrlPort: 4572 },
    });
    phones.push(deskPhone, softPhone);
    await waitRegistered(deskPhone);
    await waitRegistered(softPhone);

    // SRTP required (the default): the UDP phone's RTP/AVP offer is refused before anything rings.
    const dial1 = await softPhone.command(4572, 'dial', `sip:1001@${tenant.realm}`);
    if (!dial1.ok) throw new Error(`dial: ${JSON.stringify(dial1)}\n${softPhone.output.slice(-3000)}`);
    await softPhone.waitUntil(() => /SIP\/2\.0 488 Not Acceptable Here/.test(softPhone.output), '488');
    expect(softPhone.output).toContain('Warning: 399 pbx "SRTP required: the audio stream (RTP/AVP) has no SDES crypto or DTLS fingerprint"');
    expect(deskPhone.output).not.toMatch(/^INVITE /m);

    // Allowed: rtpengine bridges the plain leg (RTP/AVP) and the desk phone's SDES-SRTP leg (RTP/SAVP).
    await setSrtpRequired(false);
    const capture = join(work, 'media.pcap');
    const tcpdump = await captureRelay(capture, RELAY);
    try {
      expect((await softPhone.command(4572, 'dial', `sip:1001@${tenant.realm}`)).ok).toBe(true);
      await softPhone.waitUntil(() => /Call established|call established/i.test(softPhone.output), 'call established', 10_000);
      // Long enough for two RTCP reports from each phone (baresip sends one every 5 s): rtpengine computes its
      // MOS from the receiver reports (loss, jitter, and the round trip from the second one).
      await new Promise((r) => setTimeout(r, 12500));
      await untilRtcpMos(NG_PORT, 2, 20_000);
      await softPhone.command(4572, 'hangup');
      await deskPhone.waitUntil(() => /^BYE /m.test(deskPhone.output), 'BYE at the desk phone', 5000);
    } finally {
      await tcpdump.stop();
    }

    // The tone the soft phone played arrived at the desk phone, and the desk phone's sine came back.
    const atDesk = soxStat(decodedRecording(deskRec));
    const atSoft = soxStat(decodedRecording(softRec));
    expect(atDesk.seconds).toBeGreaterThan(2);
    expect(atDesk.rms).toBeGreaterThan(0.1);
    expect(Math.abs(atDesk.frequency - 1000)).toBeLessThan(80);
    expect(atSoft.rms).toBeGreaterThan(0.1);
    expect(Math.abs(atSoft.frequency - 440)).toBeLessThan(40);

    // On the wire: plain RTP on the soft phone's leg, SRTP on the desk phone's (no plaintext frame of
    // the soft leg appears there, and each packet carries the 10-byte HMAC-SHA1-80 tag).
    const deskPort = mediaPortOf(deskPhone.output, 'RTP/SAVP', RELAY);
    const softPort = mediaPortOf(softPhone.output, 'RTP/AVP', RELAY);
    const packets = readUdpPackets(capture);
    const leg = (port: number) => packets.filter((p: UdpPacket) => (p.srcPort === port || p.dstPort === port) && p.payload.length > 100);
    const softLeg = leg(softPort);
    const deskLeg = leg(deskPort);
    expect(softLeg.length).toBeGreaterThan(100);
    expect(deskLeg.length).toBeGreaterThan(100);
    const plainFrames = new Set(softLeg.map((p) => p.payload.subarray(12).toString('hex')));
    expect(deskLeg.filter((p) => plainFrames.has(p.payload.subarray(12, 12 + 160).toString('hex')))).toHaveLength(0);
    expect(new Set(softLeg.map((p) => p.payload.length))).toEqual(new Set([172]));
    expect(new Set(deskLeg.map((p) => p.payload.length))).toEqual(new Set([182]));

    // The CDR has each leg's media.
    type Leg = { packets: number; mos: number | null; mosSource: string | null; jitterMs: number | null; packetsLostPercent: number | null };
    let row: { media_quality: { caller: Leg; callee: Leg } } | undefined;
    for (const deadline = Date.now() + 5000; !row && Date.now() < deadline; await new Promise((r) => setTimeout(r, 100)))
      [row] = await db.query(`SELECT media_quality FROM cdrs WHERE tenant_id = $1 AND disposition = 'answered'`, [tenant.id]);
    for (const leg of [row?.media_quality.caller, row?.media_quality.callee]) {
      expect(leg?.packets).toBeGreaterThan(500); // 50 packets/s for 12.5 s
      // A clean loopback line: rtpengine's own MOS from the phones' RTCP, near the G.711 ceiling.
      expect(leg).toMatchObject({ mosSource: 'rtpengine', packetsLostPercent: 0 });
      expect(leg?.mos).toBeGreaterThanOrEqual(4);
      expect(leg?.jitterMs).toBeLessThan(20);
    }
    expect(await redis.hlen(RedisKeys.tenantCalls(tenant.id))).toBe(0);
    if (process.env.MEDIA_TEST_REPORT)
      console.log(JSON.stringify({ atDesk, atSoft, softLeg: softLeg.length, deskLeg: deskLeg.length, quality: row?.media_quality }));
  });
});
