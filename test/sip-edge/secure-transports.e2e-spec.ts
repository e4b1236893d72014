import { execFile, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type Srf from 'drachtio-srf';
import { installCallApp, type CallLog } from './helpers/call-app';
import { freeTcpPort, startTestEdge, waitUntil, type TestEdge } from './helpers/edge-harness';
import { installRegistrar, type RegistrarStats } from './helpers/registrar-app';
import { runSipp, SCENARIOS, writeCsv } from './helpers/sipp';
import { connectSrf, disconnectSrf, onMethod } from './helpers/srf-app';
import { startStunnel, stopStunnel } from './helpers/stunnel';
import { makeTestCert } from './helpers/tls-cert';

interface SipJsResult {
  registered: boolean;
  registerStatus: number;
  answered: boolean;
  answerBody: string;
  byeSent: boolean;
  error: string;
}

function runSipJs(opts: Record<string, string>): Promise<SipJsResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(__dirname, 'helpers', 'sipjs-client.mjs'), JSON.stringify(opts)], { timeout: 20_000 }, (err, stdout) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as SipJsResult);
      } catch {
        reject(err ?? new Error(`no result from sip.js client: ${stdout}`));
      }
    });
  });
}

describe('sip-edge: TLS (stunnel in front of sipp) and WSS (sip.js)', () => {
  const cert = makeTestCert();
  let edge: TestEdge;
  let app: Srf;
  let reg: RegistrarStats;
  let calls: CallLog;
  let stunnel: ChildProcess | undefined;

  beforeAll(async () => {
    edge = await startTestEdge({
      contacts: ['sip:127.0.0.1:0;transport=udp', 'sips:127.0.0.1:0;transport=tls', 'sips:127.0.0.1:0;transport=wss'],
      tls: { keyFile: cert.keyFile, certFile: cert.certFile, verifyOutbound: false },
    });
    app = await connectSrf(edge.adminPort, (srf) => {
      reg = installRegistrar(srf, '127.0.0.1');
      calls = installCallApp(srf);
    });
  });

  afterAll(async () => {
    await stopStunnel(stunnel);
    disconnectSrf(app);
    await edge.close();
  });

  it('REGISTER with digest and an INVITE dialog over TLS', async () => {
    const plainPort = await freeTcpPort();
    stunnel = await startStunnel(cert.dir, plainPort, edge.port('tls'));
    const users = ['tlsuser;[authentication username=tlsuser password=pw]'];
    const r = await runSipp([`127.0.0.1:${plainPort}`, '-t', 't1', '-sf', `${SCENARIOS}/uac-register-digest.xml`, '-inf', writeCsv(users), '-i', '127.0.0.1']);
    expect(r.code).toBe(0);
    expect(reg.contacts.get('tlsuser')?.source).toMatch(/^tls:127\.0\.0\.1:\d+$/);
    const call = await runSipp([`127.0.0.1:${plainPort}`, '-t', 't1', '-sn', 'uac', '-s', 'answer', '-d', '200', '-i', '127.0.0.1']);
    expect(call.code).toBe(0);
    await waitUntil(() => calls.events.includes('destroyed-by-peer:answer'), 2000, 'BYE over TLS');
  });

  it('serves the admin protocol over TLS (srf connect with tls)', async () => {
    const tlsEdge = await startTestEdge({ tls: { keyFile: cert.keyFile, certFile: cert.certFile }, adminTls: true });
    try {
      let answered = 0;
      const tlsApp = await connectSrf(
        tlsEdge.adminPort,
        (srf) =>
          onMethod(srf, 'options', (_req, res) => {
            answered++;
            res.send(200);
          }),
        true,
      );
      const r = await runSipp([`127.0.0.1:${tlsEdge.port('udp')}`, '-sf', `${SCENARIOS}/uac-options.xml`, '-i', '127.0.0.1']);
      expect(r.code).toBe(0);
      expect(answered).toBe(1);
      disconnectSrf(tlsApp);
    } finally {
      await tlsEdge.close();
    }
  });

  it('sip.js over WSS registers (digest) and places a call answered by the app', async () => {
    const result = await runSipJs({
      server: `wss://127.0.0.1:${edge.port('wss')}`,
      aor: 'sip:webuser@127.0.0.1',
      user: 'webuser',
      password: 'pw',
      call: 'sip:webcall@127.0.0.1',
    });
    expect(result.error).toBe('');
    expect(result.registered).toBe(true);
    expect(result.registerStatus).toBe(200);
    expect(reg.contacts.get('webuser')?.source).toMatch(/^wss:127\.0\.0\.1:\d+$/);
    expect(result.answered).toBe(true);
    expect(result.answerBody).toContain('m=audio 40000');
    expect(result.byeSent).toBe(true);
    await waitUntil(() => calls.events.includes('destroyed-by-peer:webcall'), 2000, 'BYE over WSS');
  });
});
