import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { makeTestCert } from '../sip-edge/helpers/tls-cert';
import { createTenant, dropTenant, type TestTenant } from './helpers/accounts';
import { decodedRecording, soxStat, writeTone } from './helpers/audio';
import { Baresip } from './helpers/baresip';
import { BrowserPhone } from './helpers/browser-phone';
import { openDb, startPbx, type PbxUnderTest } from './helpers/pbx-harness';
import { TestRtpengine } from './helpers/rtpengine';

type Phone = {
  call(o: {
    server: string;
    aor: string;
    user: string;
    password: string;
    target: string;
  }): Promise<{ answered: boolean; remoteSdp?: string }>;
  peak(): { hz: number; db: number };
  stats(): Promise<{
    ice: string;
    connection: string;
    sent: number;
    received: number;
    codec: string;
    path: string;
  } | null>;
  hangup(): Promise<void>;
  log: string[];
};

/** A real browser (Chromium, sip.js, WebRTC: DTLS-SRTP with ICE) calls a baresip phone (TLS, SDES-SRTP) through rtpengine. */
describe('sip media: a WebRTC browser and a SIP phone hear each other through rtpengine', () => {
  const NG_PORT = 22_358;
  const cert = makeTestCert();
  const work = mkdtempSync(join(tmpdir(), 'pbx-webrtc-'));
  const browserTone = join(work, 'tone-1000.wav');
  const deskTone = join(work, 'tone-440.wav');
  const deskRec = mkdtempSync(join(work, 'desk-'));
  let rtpengine: TestRtpengine;
  let pbx: PbxUnderTest;
  let db: DataSource;
  let tenant: TestTenant;
  let desk: Baresip | undefined;
  let browser: BrowserPhone | undefined;

  beforeAll(async () => {
    // Chromium's fake capture device loops the wav; baresip 1.0's aufile does not resample (8 kHz for G.711).
    writeTone(browserTone, 1000, { seconds: 30, rate: 48_000, volume: 0.5 });
    writeTone(deskTone, 440, { seconds: 30, volume: 0.5 });
    db = await openDb();
    tenant = await createTenant(db, [
      { username: 'web', transports: ['wss'] },
      { username: 'desk', transports: ['tls'], algorithms: ['MD5'] },
    ]);
    rtpengine = await TestRtpengine.start(NG_PORT, 36_700, 36_799);
    pbx = await startPbx({
      contacts: ['sips:127.0.0.1:0;transport=tls', 'sips:127.0.0.1:0;transport=wss'],
      tls: { keyFile: cert.keyFile, certFile: cert.certFile, verifyOutbound: false },
      env: { RTPENGINE_NG_PORT: String(NG_PORT) },
    });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await desk?.stop();
    await pbx?.close();
    await rtpengine?.stop();
    await db.query(`DELETE FROM cdrs WHERE tenant_id = $1`, [tenant.id]);
    await dropTenant(db, tenant.id);
    await db.destroy();
    rmSync(work, { recursive: true, force: true });
    rmSync(cert.dir, { recursive: true, force: true });
  });

  it('sip.js in Chromium calls a baresip phone over TLS: answered, the 1 kHz tone reaches the phone and its 440 Hz the browser', async () => {
    const [web, deskDevice] = tenant.devices;
    desk = Baresip.start({
      user: deskDevice.username,
      realm: tenant.realm,
      password: deskDevice.password,
      proxyPort: pbx.port('tls'),
      caFile: cert.certFile,
      mediaenc: 'srtp-mand',
      autoAnswer: true,
      audio: { source: `aufile,${deskTone}`, recordDir: deskRec, ctrlPort: 4581 },
    });
    const d = desk;
    await d.waitUntil(() => d.registerResponses().includes(200), 'REGISTER 200');
    browser = await BrowserPhone.open(browserTone);
    const page = browser.page;

    const call = await page
      .evaluate((o) => (globalThis as unknown as { phone: Phone }).phone.call(o), {
        server: `wss://127.0.0.1:${pbx.port('wss')}`,
        aor: `sip:${web.username}@${tenant.realm}`,
        user: web.username,
        password: web.password,
        target: `sip:1002@${tenant.realm}`,
      })
      .catch((e: Error) => ({ answered: false, error: `${e.message}\n${browser?.console.join('\n')}` }));
    expect(call).toMatchObject({ answered: true });
    // The phone saw SDES-SRTP, the browser DTLS-SRTP with ICE.
    expect(d.output).toMatch(/^m=audio \d+ RTP\/SAVP /m);
    expect(d.output).toMatch(/^a=crypto:\d+ AES_CM_128_HMAC_SHA1_80 inline:/m);
    expect((call as { remoteSdp: string }).remoteSdp).toMatch(/^a=fingerprint:sha-256 /m);

    // Media flows once ICE and the DTLS handshake with rtpengine complete; then listen for a while.
    let stats: Awaited<ReturnType<Phone['stats']>> = null;
    for (
      const deadline = Date.now() + 10_000;
      Date.now() < deadline;
      await new Promise((r) => setTimeout(r, 250))
    ) {
      stats = await page.evaluate<Awaited<ReturnType<Phone['stats']>>>('window.phone.stats()');
      if (stats?.connection === 'connected' && stats.received > 50) break;
    }
    expect(stats).toMatchObject({
      ice: expect.stringMatching(/connected|completed/),
      connection: 'connected',
    });
    await new Promise((r) => setTimeout(r, 3000));
    const heard = await page.evaluate<ReturnType<Phone['peak']>>('window.phone.peak()');
    stats = await page.evaluate<Awaited<ReturnType<Phone['stats']>>>('window.phone.stats()');
    await page.evaluate('window.phone.hangup()');
    await d.waitUntil(() => /^BYE /m.test(d.output), 'BYE at the desk phone', 5000);

    // Both ways: the browser's 1 kHz at the phone (recorded by baresip), the phone's 440 Hz in the browser.
    // The browser's selected ICE pair ends on rtpengine's media port (the call is anchored), not on baresip.
    expect(stats?.path).toMatch(/ -> 127\.0\.0\.1:367\d\d$/);
    expect(stats?.sent).toBeGreaterThan(150);
    expect(stats?.received).toBeGreaterThan(150);
    expect(Math.abs(heard.hz - 440)).toBeLessThan(30);
    expect(heard.db).toBeGreaterThan(-50);
    const atDesk = soxStat(decodedRecording(deskRec));
    expect(atDesk.rms).toBeGreaterThan(0.05);
    expect(Math.abs(atDesk.frequency - 1000)).toBeLessThan(80);

    let rows: Array<{ disposition: string }> = [];
    for (
      const deadline = Date.now() + 5000;
      rows.length === 0 && Date.now() < deadline;
      await new Promise((r) => setTimeout(r, 100))
    )
      rows = await db.query(`SELECT disposition FROM cdrs WHERE tenant_id = $1`, [tenant.id]);
    expect(rows).toEqual([{ disposition: 'answered' }]);
    if (process.env.MEDIA_TEST_REPORT) console.log(JSON.stringify({ stats, heard, atDesk }));
  }, 45_000);
});
