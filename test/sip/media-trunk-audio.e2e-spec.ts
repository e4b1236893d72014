import { randomInt, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { makeTestCert } from '../sip-edge/helpers/tls-cert';
import { createTenant, dropTenant, type TestTenant } from './helpers/accounts';
import { captureRelay, decodedRecording, mediaPortOf, soxStat, writeTone } from './helpers/audio';
import { Baresip } from './helpers/baresip';
import { openDb, startPbx, type PbxUnderTest } from './helpers/pbx-harness';
import { readUdpPackets } from './helpers/pcap';
import { TestRtpengine } from './helpers/rtpengine';

const RELAY = { min: 36_800, max: 36_899 };
const CARRIER_IP = '127.0.0.74';

/**
 * Plain RTP is refused from a device while the tenant requires SRTP, and allowed from a trunk: a
 * baresip "carrier" (plain RTP over UDP, from the trunk's address, never registering) calls a DID
 * and reaches a desk phone speaking SDES-SRTP over TLS, with real audio both ways through rtpengine.
 */
describe('sip media: a plain-RTP carrier reaches an SRTP desk phone through rtpengine', () => {
  const NG_PORT = 22_351;
  const cert = makeTestCert();
  const work = mkdtempSync(join(tmpdir(), 'pbx-trunk-media-'));
  const carrierTone = join(work, 'tone-1000.wav');
  const deskTone = join(work, 'tone-440.wav');
  const did = `+4420794${randomInt(10_000, 99_999)}`;
  const trunkId = randomUUID();
  let rtpengine: TestRtpengine;
  let pbx: PbxUnderTest;
  let db: DataSource;
  let tenant: TestTenant;
  const phones: Baresip[] = [];

  beforeAll(async () => {
    writeTone(carrierTone, 1000);
    writeTone(deskTone, 440);
    db = await openDb();
    // libre 1.1.0 (baresip 1.0.0) answers MD5 challenges only.
    tenant = await createTenant(db, [
      { username: 'desk', transports: ['tls'], algorithms: ['MD5'] },
      { username: 'plain', transports: ['udp'], algorithms: ['MD5'] },
    ]);
    await db.query(`UPDATE tenants SET default_country = 'GB' WHERE id = $1`, [tenant.id]);
    await db.query(
      `INSERT INTO trunks (id, tenant_id, name, host, port, transport, inbound_cidrs, status)
       VALUES ($1, $2, 'plain-carrier', $3, 5060, 'udp', $4, 'active')`,
      [trunkId, tenant.id, CARRIER_IP, [`${CARRIER_IP}/32`]],
    );
    await db.query(`INSERT INTO number_assignments (number, tenant_id) VALUES ($1, $2)`, [did, tenant.id]);
    await db.query(`INSERT INTO dids (tenant_id, trunk_id, number, extension_id) VALUES ($1, $2, $3, $4)`, [
      tenant.id,
      trunkId,
      did,
      tenant.devices[0].extensionId,
    ]);
    rtpengine = await TestRtpengine.start(NG_PORT, RELAY.min, RELAY.max);
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
    await db.query(`DELETE FROM dids WHERE tenant_id = $1`, [tenant.id]);
    await db.query(`DELETE FROM number_assignments WHERE tenant_id = $1`, [tenant.id]);
    await db.query(`DELETE FROM trunks WHERE tenant_id = $1`, [tenant.id]);
    await dropTenant(db, tenant.id);
    await db.destroy();
    rmSync(work, { recursive: true, force: true });
    rmSync(cert.dir, { recursive: true, force: true });
  });

  it('refuses plain RTP from a device (488), carries a tone both ways from a plain-RTP trunk to the SRTP desk phone', async () => {
    const deskRec = mkdtempSync(join(work, 'desk-'));
    const carrierRec = mkdtempSync(join(work, 'carrier-'));
    const [desk, plain] = tenant.devices;
    const deskPhone = Baresip.start({
      user: desk.username,
      realm: tenant.realm,
      password: desk.password,
      proxyPort: pbx.port('tls'),
      caFile: cert.certFile,
      mediaenc: 'srtp-mand',
      autoAnswer: true,
      audio: { source: `aufile,${deskTone}`, recordDir: deskRec, ctrlPort: 4591 },
    });
    // A device of the tenant offering plain RTP to the desk phone (extension 1001): refused while SRTP is required (the default).
    const plainPhone = Baresip.start({
      user: plain.username,
      realm: tenant.realm,
      password: plain.password,
      proxyPort: pbx.port('udp'),
      transport: 'udp',
      audio: { source: `aufile,${carrierTone}`, recordDir: mkdtempSync(join(work, 'plain-')), ctrlPort: 4592 },
    });
    // The carrier: the same plain RTP, from the trunk's address, unregistered, calling the DID.
    const carrier = Baresip.start({
      user: '+33142685300',
      realm: 'carrier.example',
      password: 'unused',
      proxyPort: pbx.port('udp'),
      transport: 'udp',
      listenIp: CARRIER_IP,
      register: false,
      audio: { source: `aufile,${carrierTone}`, recordDir: carrierRec, ctrlPort: 4593 },
    });
    phones.push(deskPhone, plainPhone, carrier);
    await deskPhone.waitUntil(() => deskPhone.registerResponses().includes(200), 'desk REGISTER 200', 10_000);
    await plainPhone.waitUntil(() => plainPhone.registerResponses().includes(200), 'plain REGISTER 200', 10_000);

    expect((await plainPhone.command(4592, 'dial', `sip:1001@${tenant.realm}`)).ok).toBe(true);
    await plainPhone.waitUntil(() => /SIP\/2\.0 488 Not Acceptable Here/.test(plainPhone.output), '488 for the device');
    expect(deskPhone.output).not.toMatch(/^INVITE /m);

    const capture = join(work, 'media.pcap');
    const tcpdump = await captureRelay(capture, RELAY);
    try {
      expect((await carrier.command(4593, 'dial', `sip:${did}@${tenant.realm}`)).ok).toBe(true);
      await carrier.waitUntil(() => /call established/i.test(carrier.output), 'carrier call established', 10_000);
      await new Promise((r) => setTimeout(r, 6000));
      await carrier.command(4593, 'hangup');
      await deskPhone.waitUntil(() => /^BYE /m.test(deskPhone.output), 'BYE at the desk phone', 5000);
    } finally {
      await tcpdump.stop();
    }
    // The carrier leg was never challenged, and the desk phone was offered SDES-SRTP.
    expect(carrier.output).not.toMatch(/SIP\/2\.0 40[17] /);
    expect(deskPhone.output).toMatch(/^m=audio \d+ RTP\/SAVP [\s\S]*a=crypto:/m);

    // Audio both ways: the carrier's 1 kHz at the desk phone, the desk phone's 440 Hz at the carrier.
    const atDesk = soxStat(decodedRecording(deskRec));
    const atCarrier = soxStat(decodedRecording(carrierRec));
    expect(atDesk.rms).toBeGreaterThan(0.1);
    expect(Math.abs(atDesk.frequency - 1000)).toBeLessThan(80);
    expect(atCarrier.rms).toBeGreaterThan(0.1);
    expect(Math.abs(atCarrier.frequency - 440)).toBeLessThan(40);

    // On the wire: plain RTP (12-byte header + 160 bytes of G.711) on the carrier's leg, SRTP (+10-byte tag)
    // on the desk phone's, and none of the carrier's plaintext frames on the desk leg.
    const packets = readUdpPackets(capture);
    const leg = (port: number) => packets.filter((p) => (p.srcPort === port || p.dstPort === port) && p.payload.length > 100);
    const carrierLeg = leg(mediaPortOf(carrier.output, 'RTP/AVP', RELAY));
    const deskLeg = leg(mediaPortOf(deskPhone.output, 'RTP/SAVP', RELAY));
    expect(carrierLeg.length).toBeGreaterThan(100);
    expect(deskLeg.length).toBeGreaterThan(100);
    expect(new Set(carrierLeg.map((p) => p.payload.length))).toEqual(new Set([172]));
    expect(new Set(deskLeg.map((p) => p.payload.length))).toEqual(new Set([182]));
    const plainFrames = new Set(carrierLeg.map((p) => p.payload.subarray(12).toString('hex')));
    expect(deskLeg.filter((p) => plainFrames.has(p.payload.subarray(12, 12 + 160).toString('hex')))).toHaveLength(0);

    // One inbound CDR for the trunk, answered, with media on both legs.
    type Row = { direction: string; trunk_id: string; disposition: string; media_quality: { caller: { packets: number }; callee: { packets: number } } | null };
    let row: Row | undefined;
    for (const deadline = Date.now() + 5000; !row && Date.now() < deadline; await new Promise((r) => setTimeout(r, 100)))
      [row] = (await db.query(`SELECT direction, trunk_id, disposition, media_quality FROM cdrs WHERE tenant_id = $1 AND disposition = 'answered'`, [tenant.id])) as Row[];
    expect(row).toMatchObject({ direction: 'inbound', trunk_id: trunkId });
    expect(row?.media_quality?.caller.packets).toBeGreaterThan(200);
    expect(row?.media_quality?.callee.packets).toBeGreaterThan(200);
  });
});
