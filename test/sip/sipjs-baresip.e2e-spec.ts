import type { DataSource } from 'typeorm';
import { makeTestCert } from '../sip-edge/helpers/tls-cert';
import { createTenant, dropTenant, type TestTenant } from './helpers/accounts';
import { Baresip } from './helpers/baresip';
import { openDb, startPbx, type PbxUnderTest } from './helpers/pbx-harness';
import { answerWithSipJs } from './helpers/sipjs';

/** sip.js answers with SDES-SRTP (Node has no WebRTC media): what a device leg must offer when SRTP is required. */
const SDES_ANSWER = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 50020 RTP/SAVP 0',
  'a=rtpmap:0 PCMU/8000',
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz',
  'a=sendrecv',
  '',
].join('\r\n');

describe('a call between real softphones: baresip over TLS calls sip.js over WSS, to BYE', () => {
  const cert = makeTestCert();
  let pbx: PbxUnderTest;
  let db: DataSource;
  let tenant: TestTenant;
  let baresip: Baresip | undefined;

  beforeAll(async () => {
    db = await openDb();
    tenant = await createTenant(db, [
      { username: 'web', transports: ['wss'] },
      // libre 1.1.0 (baresip 1.0.0) gives up on any challenge that is not MD5.
      { username: 'desk', transports: ['tls'], algorithms: ['MD5'] },
    ]);
    pbx = await startPbx({
      contacts: ['sips:127.0.0.1:0;transport=tls', 'sips:127.0.0.1:0;transport=wss'],
      tls: { keyFile: cert.keyFile, certFile: cert.certFile, verifyOutbound: false },
    });
  });

  afterAll(async () => {
    await baresip?.stop();
    await pbx?.close();
    await db.query(`DELETE FROM cdrs WHERE tenant_id = $1`, [tenant.id]);
    await dropTenant(db, tenant.id);
    await db.destroy();
  });

  it('baresip dials extension 1001, sip.js answers, baresip hangs up when it quits, sip.js gets the BYE, one CDR', async () => {
    const web = tenant.devices[0];
    const answering = answerWithSipJs({
      server: `wss://127.0.0.1:${pbx.port('wss')}`,
      aor: `sip:${web.username}@${tenant.realm}`,
      user: web.username,
      password: web.password,
      sdp: SDES_ANSWER,
      timeoutMs: 20_000,
    });
    await answering.ready;
    const desk = tenant.devices[1];
    baresip = Baresip.start({
      user: desk.username,
      realm: tenant.realm,
      password: desk.password,
      proxyPort: pbx.port('tls'),
      caFile: cert.certFile,
      modules: ['g711', 'srtp', 'aubridge', 'menu'],
      config: ['audio_source aubridge,pbx', 'audio_player aubridge,pbx', 'audio_alert aubridge,pbx'],
      accountParams: ';mediaenc=srtp-mand',
      // Dial once registered, quit (hanging up) after 6 s.
      args: ['-e', `/dial sip:1001@${tenant.realm}`, '-t', '6'],
    });
    const r = await answering.result;
    expect([r.error, r.inviteReceived, r.answered, r.byeReceived]).toEqual(['', true, true, true]);
    let rows: Array<Record<string, string>> = [];
    for (const deadline = Date.now() + 5000; rows.length === 0 && Date.now() < deadline;) {
      rows = (await db.query(
        `SELECT disposition, from_number, to_number, direction FROM cdrs WHERE tenant_id = $1`,
        [tenant.id],
      )) as typeof rows;
      if (rows.length === 0) await new Promise((res) => setTimeout(res, 50));
    }
    expect(rows).toEqual([
      { disposition: 'answered', from_number: 'desk', to_number: '1001', direction: 'internal' },
    ]);
  });
});
