import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { createRedis, RedisKeys } from '../../libs/common/src';
import { makeTestCert } from '../sip-edge/helpers/tls-cert';
import { createTenant, dropTenant, type TestTenant } from './helpers/accounts';
import { Baresip } from './helpers/baresip';
import { openDb, startPbx, type PbxUnderTest } from './helpers/pbx-harness';
import { readUdpPackets, type UdpPacket } from './helpers/pcap';
import { TestRtpengine } from './helpers/rtpengine';

const PORT_MIN = 36_500;
const PORT_MAX = 36_599;

/** sox's statistics of a recording: RMS amplitude and zero-crossing ("rough") frequency. */
function soxStat(file: string): { rms: number; frequency: number; seconds: number } {
  // sox prints its statistics on stderr.
  const text = execFileSync('sh', ['-c', 'sox "$1" -n stat 2>&1', 'sh', file], { encoding: 'utf8' });
  const num = (label: string) => Number(new RegExp(`${label}:\\s+([-0-9.]+)`).exec(text)?.[1] ?? NaN);
  return { rms: num('RMS\\s+amplitude'), frequency: num('Rough\\s+frequency'), seconds: num('Length \\(seconds\\)') };
}

/** The phone's own RTP port in its last call, from the SDP it sent (rtpengine's are in PORT_MIN..PORT_MAX). */
function mediaPortOf(trace: string, profile: string): number {
  const ports = [...trace.matchAll(new RegExp(`^m=audio (\\d+) ${profile.replace(/\//g, '\\/')} `, 'gm'))]
    .map((m) => Number(m[1]))
    .filter((port) => port < PORT_MIN || port > PORT_MAX);
  if (ports.length === 0) throw new Error(`no ${profile} media port of the phone in:\n${trace}`);
  return ports[ports.length - 1];
}

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
    // Generated tones at the codec's rate (baresip 1.0's aufile does not resample).
    execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', tone, 'synth', '8', 'sine', '1000']);
    execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', low, 'synth', '8', 'sine', '440']);
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
    const tcpdump: ChildProcess = spawn('tcpdump', ['-i', 'lo', '-U', '-n', '-w', capture, 'udp', 'portrange', `${PORT_MIN}-${PORT_MAX}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let tcpdumpErr = '';
    tcpdump.stderr?.on('data', (b: Buffer) => (tcpdumpErr += b.toString()));
    for (const deadline = Date.now() + 5000; !/listening on/.test(tcpdumpErr); await new Promise((r) => setTimeout(r, 50)))
      if (Date.now() > deadline) throw new Error(`tcpdump did not start: ${tcpdumpErr}`);
    try {
      expect((await softPhone.command(4572, 'dial', `sip:1001@${tenant.realm}`)).ok).toBe(true);
      await softPhone.waitUntil(() => /Call established|call established/i.test(softPhone.output), 'call established', 10_000);
      // Long enough for an RTCP report from each phone (baresip sends one every 5 s): rtpengine's MOS needs it.
      await new Promise((r) => setTimeout(r, 6500));
      await softPhone.command(4572, 'hangup');
      await deskPhone.waitUntil(() => /^BYE /m.test(deskPhone.output), 'BYE at the desk phone', 5000);
    } finally {
      tcpdump.kill('SIGINT');
      await new Promise((r) => tcpdump.once('exit', r));
    }

    // The tone the soft phone played arrived at the desk phone, and the desk phone's sine came back.
    const wav = (dir: string) => {
      const f = readdirSync(dir).find((n) => n.endsWith('-dec.wav'));
      if (!f) throw new Error(`no decoded recording in ${dir}: ${readdirSync(dir).join(', ')}`);
      return join(dir, f);
    };
    const atDesk = soxStat(wav(deskRec));
    const atSoft = soxStat(wav(softRec));
    expect(atDesk.seconds).toBeGreaterThan(2);
    expect(atDesk.rms).toBeGreaterThan(0.1);
    expect(Math.abs(atDesk.frequency - 1000)).toBeLessThan(80);
    expect(atSoft.rms).toBeGreaterThan(0.1);
    expect(Math.abs(atSoft.frequency - 440)).toBeLessThan(40);

    // On the wire: plain RTP on the soft phone's leg, SRTP on the desk phone's (no plaintext frame of
    // the soft leg appears there, and each packet carries the 10-byte HMAC-SHA1-80 tag).
    const deskPort = mediaPortOf(deskPhone.output, 'RTP/SAVP');
    const softPort = mediaPortOf(softPhone.output, 'RTP/AVP');
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
    let row: { media_quality: { caller: { packets: number; mos: number | null }; callee: { packets: number } } } | undefined;
    for (const deadline = Date.now() + 5000; !row && Date.now() < deadline; await new Promise((r) => setTimeout(r, 100)))
      [row] = await db.query(`SELECT media_quality FROM cdrs WHERE tenant_id = $1 AND disposition = 'answered'`, [tenant.id]);
    expect(row?.media_quality.caller.packets).toBeGreaterThan(100);
    expect(row?.media_quality.callee.packets).toBeGreaterThan(100);
    expect(await redis.hlen(RedisKeys.tenantCalls(tenant.id))).toBe(0);
    if (process.env.MEDIA_TEST_REPORT)
      console.log(JSON.stringify({ atDesk, atSoft, softLeg: softLeg.length, deskLeg: deskLeg.length, quality: row?.media_quality }));
  });
});
