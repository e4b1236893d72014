import { join } from 'node:path';
import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { createRedis, RedisKeys } from '../../libs/common/src';
import { freeUdpPort } from '../sip-edge/helpers/edge-harness';
import { runSipp, writeCsv } from '../sip-edge/helpers/sipp';
import { makeTestCert } from '../sip-edge/helpers/tls-cert';
import { createTenant, dropTenant, type TestTenant } from './helpers/accounts';
import { openDb, startPbx, type PbxUnderTest } from './helpers/pbx-harness';
import { Phone } from './helpers/phone';
import { answerWithSipJs, runSipJs } from './helpers/sipjs';

/** What a browser offers (sip.js over WSS): DTLS-SRTP with ICE and rtcp-mux. No media flows: Node has no WebRTC. */
const BROWSER_SDP = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 0',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=candidate:1 1 udp 2122260223 127.0.0.1 50010 typ host',
  'a=ice-ufrag:k3Xp',
  'a=ice-pwd:q8N0aVb6f1Z2yTr4uWc9eHs7',
  `a=fingerprint:sha-256 ${Array.from({ length: 32 }, (_v, i) => (i * 7 + 16).toString(16).toUpperCase().padStart(2, '0')).join(':')}`,
  'a=setup:actpass',
  'a=mid:0',
  'a=sendrecv',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');

const WEB = 0;
const DESK = 1;
const SIPP = 2;

describe('calls between real clients: sip.js over WSS, a phone over TLS and TCP, sipp over UDP', () => {
  const cert = makeTestCert();
  let pbx: PbxUnderTest;
  let db: DataSource;
  let redis: Redis;
  let tenant: TestTenant;
  const phones: Phone[] = [];

  const desk = async (transport: 'tls' | 'tcp' | 'udp') => {
    const d = tenant.devices[DESK];
    const p = await Phone.open({ host: pbx.host, port: pbx.port(transport) }, { username: d.username, password: d.password, realm: tenant.realm }, '127.0.0.1', transport);
    phones.push(p);
    expect(await p.register()).toBe(200);
    return p;
  };
  const web = () => {
    const d = tenant.devices[WEB];
    return { server: `wss://127.0.0.1:${pbx.port('wss')}`, aor: `sip:${d.username}@${tenant.realm}`, user: d.username, password: d.password, sdp: BROWSER_SDP };
  };
  const cdrs = async (n: number) => {
    for (const deadline = Date.now() + 5000; ; ) {
      const rows = (await db.query(`SELECT disposition, from_number, to_number, direction FROM cdrs WHERE tenant_id = $1 ORDER BY started_at`, [tenant.id])) as Array<Record<string, string>>;
      if (rows.length >= n || Date.now() > deadline) return rows;
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  beforeAll(async () => {
    db = await openDb();
    redis = createRedis(process.env.REDIS_URL as string, 'sip-softphone-calls-test');
    tenant = await createTenant(db, [
      { username: 'web', transports: ['wss'] },
      { username: 'desk', transports: ['tls', 'tcp', 'udp'] },
      // Debian's sipp computes MD5 only and answers the first challenge.
      { username: 'sippy', transports: ['udp'], algorithms: ['MD5'] },
    ]);
    pbx = await startPbx({
      contacts: ['sip:127.0.0.1:0;transport=udp', 'sip:127.0.0.1:0;transport=tcp', 'sips:127.0.0.1:0;transport=tls', 'sips:127.0.0.1:0;transport=wss'],
      tls: { keyFile: cert.keyFile, certFile: cert.certFile, verifyOutbound: false },
    });
  });

  beforeEach(async () => {
    for (const d of tenant.devices) await redis.del(RedisKeys.deviceRegistrations(tenant.id, d.id));
    await db.query(`DELETE FROM cdrs WHERE tenant_id = $1`, [tenant.id]);
  });

  afterAll(async () => {
    for (const p of phones) p.close();
    await pbx?.close();
    await db.query(`DELETE FROM cdrs WHERE tenant_id = $1`, [tenant.id]);
    await dropTenant(db, tenant.id);
    await db.destroy();
    await redis.quit();
  });

  // The test phone listens on nothing: over TCP and TLS the INVITE can only come over the connection it registered on.
  it.each(['tls', 'tcp'] as const)('sip.js over WSS (DTLS-SRTP offer) calls a desk phone registered over %s, which answers; sip.js hangs up', async (transport) => {
    const phone = await desk(transport);
    const r = await runSipJs({ ...web(), mode: 'unregister', call: `sip:1002@${tenant.realm}` });
    expect([r.error, r.answered, r.byeSent]).toEqual(['', true, true]);
    const invite = await phone.next((m) => m.method === 'INVITE', `the INVITE over ${transport}`);
    expect(invite.header('Via')).toMatch(new RegExp(`^SIP/2\\.0/${transport.toUpperCase()} `));
    // rtpengine bridges the browser's DTLS-SRTP with ICE and rtcp-mux to the phone's SDES-SRTP.
    expect(invite.body).toMatch(/^m=audio \d+ RTP\/SAVP /m);
    expect(invite.body).toMatch(/^a=crypto:\d+ AES_CM_128_HMAC_SHA1_80 inline:/m);
    expect(invite.body).not.toMatch(/^a=(fingerprint|ice-ufrag|candidate)/m);
    expect(r.answerBody).toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF /m);
    for (const line of [/^a=fingerprint:sha-256 /m, /^a=setup:(active|passive)/m, /^a=ice-ufrag:/m, /^a=candidate:/m, /^a=rtcp-mux/m])
      expect(r.answerBody).toMatch(line);
    await phone.next((m) => m.method === 'BYE', 'the BYE relayed from sip.js');
    expect(await cdrs(1)).toEqual([{ disposition: 'answered', from_number: 'web', to_number: '1002', direction: 'internal' }]);
  });

  it('a desk phone over TCP calls sip.js over WSS, which answers; the phone hangs up and sip.js gets the BYE', async () => {
    const answering = answerWithSipJs(web());
    await answering.ready;
    const phone = await desk('tcp');
    const call = await phone.call('1001');
    expect(call.final?.status).toBe(200);
    call.hangUp();
    await phone.next((m) => m.status === 200 && /BYE$/.test(m.header('CSeq') ?? ''), '200 to the BYE');
    const r = await answering.result;
    expect([r.error, r.inviteReceived, r.answered, r.byeReceived]).toEqual(['', true, true, true]);
    expect(await cdrs(1)).toEqual([{ disposition: 'answered', from_number: 'desk', to_number: '1001', direction: 'internal' }]);
  });

  it('sipp over UDP calls the desk phone: 407, digest, 200, held, BYE', async () => {
    await desk('udp');
    const d = tenant.devices[SIPP];
    const scenario = join(__dirname, '..', '..', 'bench', 'sip-app', 'scenarios', 'call-auth.xml');
    const csv = writeCsv([`${d.username};[authentication username=${d.username} password=${d.password}];${tenant.realm};1002`]);
    const r = await runSipp([`${pbx.host}:${pbx.port('udp')}`, '-sf', scenario, '-inf', csv, '-i', '127.0.0.1', '-p', String(await freeUdpPort()), '-d', '300']);
    expect(r.code).toBe(0);
    expect(await cdrs(1)).toEqual([{ disposition: 'answered', from_number: 'sippy', to_number: '1002', direction: 'internal' }]);
  });
});
