import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import type Srf from 'drachtio-srf';
import { APP_SDP, installCallApp, type CallLog } from './helpers/call-app';
import { freeUdpPort, startTestEdge, waitUntil, type TestEdge } from './helpers/edge-harness';
import { runSipp, SCENARIOS } from './helpers/sipp';
import { connectSrf, disconnectSrf } from './helpers/srf-app';

type RequestOpts = { method: string; headers?: Record<string, string>; proxy?: string };
type RequestFn = (uri: string, opts: RequestOpts) => Promise<Srf.SrfRequest>;

/** srf.request(uri, opts) as it really is (its typings list another signature). */
function sendRequest(srf: Srf, uri: string, opts: RequestOpts): Promise<Srf.SrfRequest> {
  return (srf.request as unknown as RequestFn).call(srf, uri, opts);
}

function finalStatus(req: Srf.SrfRequest): Promise<number> {
  return new Promise((resolve) => {
    req.on('response', (res?: Srf.SrfResponse) => {
      if (res && res.status >= 200) resolve(res.status);
    });
  });
}

/** T1 = 50 ms so that 64·T1 timeouts (ACK wait, Timer F) take 3.2 s instead of 32 s. */
describe('sip-edge: stack behaviour (ACK timeout, proxy, app requests, merged requests)', () => {
  let edge: TestEdge;
  let app: Srf;
  let log: CallLog;
  let proxyTarget = '';
  const proxyResults: string[] = [];
  const pendingEarly: Array<() => void> = [];

  beforeAll(async () => {
    edge = await startTestEdge({ t1: 50 });
    app = await connectSrf(edge.adminPort, (srf) => {
      srf.use('invite', (req, res, next) => {
        if (req.uri.startsWith('sip:early@')) {
          // 183 with 100rel; the 200 follows once the PRACK came in.
          res.send(183, { headers: { Require: '100rel' }, body: APP_SDP });
          pendingEarly.push(() => res.send(200, { body: APP_SDP }));
          return;
        }
        if (!req.uri.startsWith('sip:proxy@')) return next();
        srf.proxyRequest(req, [proxyTarget], { recordRoute: true }, (err: unknown, results: unknown) => {
          proxyResults.push(err ? `error:${String(err)}` : JSON.stringify(results));
        });
        void res;
      });
      srf.use('prack', (_req, res) => {
        res.send(200);
        pendingEarly.shift()?.();
      });
      log = installCallApp(srf);
    });
  });

  afterAll(async () => {
    disconnectSrf(app);
    await edge.close();
  });

  it('no ACK for the 2xx: retransmits, then BYE with Reason "ACK timeout" and tells the app [T15]', async () => {
    const r = await runSipp(
      [`127.0.0.1:${edge.port('udp')}`, '-sf', `${SCENARIOS}/uac-noack.xml`, '-s', 'noack', '-i', '127.0.0.1', '-p', String(await freeUdpPort())],
      { timeoutS: 10 },
    );
    expect(r.code).toBe(0);
    await waitUntil(() => log.events.includes('destroyed-by-peer:noack'), 2000, 'unsolicited BYE at the app');
  });

  it('proxyRequest with Record-Route: the call, ACK and BYE go through the edge [T11]', async () => {
    const uasPort = await freeUdpPort();
    proxyTarget = `sip:uas@127.0.0.1:${uasPort}`;
    const uas = runSipp(['-sf', `${SCENARIOS}/uas-rr.xml`, '-i', '127.0.0.1', '-p', String(uasPort)], { timeoutS: 10 });
    await new Promise((r) => setTimeout(r, 300));
    const uac = await runSipp([`127.0.0.1:${edge.port('udp')}`, '-sf', `${SCENARIOS}/uac-rr.xml`, '-s', 'proxy', '-i', '127.0.0.1', '-p', String(await freeUdpPort())]);
    expect(uac.code).toBe(0);
    expect((await uas).code).toBe(0);
    await waitUntil(() => proxyResults.length > 0, 2000, 'proxy callback');
    expect(proxyResults[0]).toContain('"finalStatus":200');
  });

  it('srf.request OPTIONS: the edge completes From/To/Call-ID/CSeq/Via and relays the 200 [T09]', async () => {
    const uasPort = await freeUdpPort();
    const uas = runSipp(['-sf', `${SCENARIOS}/uas-options.xml`, '-i', '127.0.0.1', '-p', String(uasPort)], { timeoutS: 10 });
    await new Promise((r) => setTimeout(r, 300));
    const req = await sendRequest(app, `sip:uas@127.0.0.1:${uasPort}`, { method: 'OPTIONS', headers: { 'X-Demo': 'wire-capture' } });
    const status = await finalStatus(req);
    expect(status).toBe(200);
    expect((await uas).code).toBe(0);
  });

  it('sends to the next hop (srf opts.proxy) and keeps the Request-URI', async () => {
    const uasPort = await freeUdpPort();
    const uas = runSipp(['-sf', `${SCENARIOS}/uas-options.xml`, '-i', '127.0.0.1', '-p', String(uasPort)], { timeoutS: 10 });
    await new Promise((r) => setTimeout(r, 300));
    const req = await sendRequest(app, 'sip:someone@far-away.invalid', {
      method: 'OPTIONS',
      headers: { 'X-Demo': 'wire-capture' },
      proxy: `sip:127.0.0.1:${uasPort}`,
    });
    expect(req.uri).toBe('sip:someone@far-away.invalid');
    expect(await finalStatus(req)).toBe(200);
    expect((await uas).code).toBe(0);
  });

  it('an unanswered app request ends with a locally generated 408 after Timer F [T16]', async () => {
    const deadPort = await freeUdpPort();
    const status = await finalStatus(await sendRequest(app, `sip:nobody@127.0.0.1:${deadPort}`, { method: 'OPTIONS' }));
    expect([408, 503]).toContain(status);
  });

  describe('reliable provisional responses (RFC 3262)', () => {
    let udp: UdpSocket;
    const got: string[] = [];
    beforeAll(async () => {
      udp = createSocket('udp4');
      udp.on('message', (m) => got.push(m.toString()));
      await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    });
    afterAll(() => udp.close());

    it('numbers the app 183 with RSeq, re-sends it until the PRACK, then the 200 follows', async () => {
      const port = udp.address().port;
      const common = [`From: <sip:a@127.0.0.1>;tag=rel1`, 'Call-ID: prack-1@127.0.0.1', 'Max-Forwards: 70'];
      const send = (lines: string[]) => udp.send([...lines, 'Content-Length: 0', '', ''].join('\r\n'), edge.port('udp'), '127.0.0.1');
      send([
        `INVITE sip:early@127.0.0.1:${edge.port('udp')} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-prack-inv`,
        ...common,
        'To: <sip:early@127.0.0.1>',
        'CSeq: 1 INVITE',
        `Contact: <sip:a@127.0.0.1:${port}>`,
        'Supported: 100rel',
      ]);
      const is183 = (m: string) => m.startsWith('SIP/2.0 183');
      await waitUntil(() => got.filter(is183).length >= 2, 3000, 'the 183 and one retransmission (T1 = 50 ms)');
      const first = got.find(is183) ?? '';
      expect(first).toMatch(/\r\nRequire: 100rel\r\n/);
      const rseq = /\r\nRSeq: (\d+)\r\n/.exec(first)?.[1];
      expect(rseq).toBeDefined();
      const toTag = /\r\nTo: [^\r]*;tag=([^;\r]+)/.exec(first)?.[1];
      send([
        `PRACK sip:127.0.0.1:${edge.port('udp')} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-prack-1`,
        ...common,
        `To: <sip:early@127.0.0.1>;tag=${toTag}`,
        'CSeq: 2 PRACK',
        `RAck: ${rseq} 1 INVITE`,
      ]);
      await waitUntil(() => got.some((m) => m.startsWith('SIP/2.0 200') && m.includes('CSeq: 2 PRACK')), 3000, '200 to the PRACK');
      await waitUntil(() => got.some((m) => m.startsWith('SIP/2.0 200') && m.includes('CSeq: 1 INVITE')), 3000, '200 to the INVITE');
      const count = got.filter(is183).length;
      await new Promise((r) => setTimeout(r, 400));
      expect(got.filter(is183).length).toBe(count);
      send([
        `ACK sip:127.0.0.1:${edge.port('udp')} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-prack-ack`,
        ...common,
        `To: <sip:early@127.0.0.1>;tag=${toTag}`,
        'CSeq: 1 ACK',
      ]);
    });
  });

  describe('merged requests (RFC 3261 §8.2.2.2)', () => {
    let udp: UdpSocket;
    const got: string[] = [];
    beforeAll(async () => {
      udp = createSocket('udp4');
      udp.on('message', (m) => got.push(m.toString()));
      await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    });
    afterAll(() => udp.close());

    it('a second copy of an INVITE with another branch gets 482', async () => {
      const port = udp.address().port;
      const invite = (branch: string) =>
        [
          `INVITE sip:ring@127.0.0.1:${edge.port('udp')} SIP/2.0`,
          `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=${branch}`,
          'From: <sip:a@127.0.0.1>;tag=merge1',
          'To: <sip:ring@127.0.0.1>',
          'Call-ID: merged-1@127.0.0.1',
          'CSeq: 1 INVITE',
          `Contact: <sip:a@127.0.0.1:${port}>`,
          'Max-Forwards: 70',
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n');
      udp.send(invite('z9hG4bK-merge-a'), edge.port('udp'), '127.0.0.1');
      await waitUntil(() => got.some((m) => m.startsWith('SIP/2.0 180')), 2000, '180 for the first copy');
      udp.send(invite('z9hG4bK-merge-b'), edge.port('udp'), '127.0.0.1');
      await waitUntil(() => got.some((m) => m.startsWith('SIP/2.0 482')), 2000, '482 for the second copy');
      expect(got.find((m) => m.startsWith('SIP/2.0 482'))).toContain('branch=z9hG4bK-merge-b');
    });
  });
});
