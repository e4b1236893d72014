import { DnsTestServer } from '../../apps/sip-edge/src/dns/testing/dns-test-server';
import { configureTargetResolver } from '../../apps/sip-edge/src/edge/target-resolver';
import { EDGE_SECRET, startTestEdge, type TestEdge } from './helpers/edge-harness';
import { RawUa as Ua } from './helpers/raw-ua';
import { fieldsOf, sipOf, WireClient } from './helpers/wire-client';

const statusOf = (m: string) => Number(/^SIP\/2\.0 (\d{3})/.exec(m)?.[1] ?? 0);
const isRequest = (method: string, callId: string) => (m: string) => m.startsWith(`${method} `) && m.includes(`Call-ID: ${callId}`);
const isResponse = (status: number, callId: string) => (m: string) => statusOf(m) === status && m.includes(`Call-ID: ${callId}`);

/** srf's proxyRequest options on the wire (§3.5): forking, provisional timeout, redirects, best response. */
describe('sip-edge: proxy forking, timeouts, redirects and the best response (RFC 3261 §16.7)', () => {
  let edge: TestEdge;
  let app: WireClient;
  let uac: Ua;
  let uas1: Ua;
  let uas2: Ua;
  let edgePort: number;

  beforeAll(async () => {
    edge = await startTestEdge({ t1: 50 });
    edgePort = edge.port('udp');
    app = await WireClient.open(edge.adminPort);
    await app.reply(app.send(`authenticate|${EDGE_SECRET}|`));
    await app.reply(app.send('route|invite'));
    [uac, uas1, uas2] = await Promise.all([Ua.open(), Ua.open(), Ua.open()]);
  });

  afterAll(async () => {
    app.close();
    for (const u of [uac, uas1, uas2]) u.close();
    await edge.close();
  });

  /** The UAC sends an INVITE; the app proxies it with the given options. Returns the proxy command's msg id. */
  async function proxied(callId: string, opts: { mode?: 'serial' | 'simultaneous'; provisional?: string; redirects?: boolean }, destinations: string[]) {
    uac.send(edgePort, [
      `INVITE sip:fork@127.0.0.1:${edgePort} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${uac.port};rport;branch=z9hG4bK-${callId}`,
      'Max-Forwards: 70',
      `From: <sip:alice@127.0.0.1>;tag=${callId}`,
      'To: <sip:fork@127.0.0.1>',
      `Call-ID: ${callId}`,
      'CSeq: 1 INVITE',
      `Contact: <sip:alice@127.0.0.1:${uac.port}>`,
    ]);
    const frame = await app.next((f) => f.includes(`Call-ID: ${callId}`) && fieldsOf(f)[1] === 'sip');
    const txn = fieldsOf(frame)[8];
    const fields = [txn, '', 'fullResponse', opts.redirects ? 'followRedirects' : '', opts.mode ?? 'serial', opts.provisional ?? '', ''];
    return app.send(`proxy|${fields.join('|')}|${destinations.join('|')}\r\n${sipOf(frame)}`);
  }

  /** Every `OK|…|continue` status the app got for a proxy command, once its `done` arrived. */
  async function appResults(msgId: string): Promise<number[]> {
    await app.next((f) => fieldsOf(f)[2] === msgId && fieldsOf(f)[4] === 'done');
    const statuses: number[] = [];
    for (let i = app.frames.length - 1; i >= 0; i--) {
      if (fieldsOf(app.frames[i])[2] !== msgId) continue;
      statuses.unshift(statusOf(sipOf(app.frames[i])));
      app.frames.splice(i, 1);
    }
    return statuses;
  }

  it('simultaneous: both destinations ring, the first 2xx wins and the other branch is CANCELled', async () => {
    const id = await proxied('fork-sim-1', { mode: 'simultaneous' }, [uas1.uri, uas2.uri]);
    const inv1 = await uas1.next(isRequest('INVITE', 'fork-sim-1'), 'INVITE at UAS 1');
    const inv2 = await uas2.next(isRequest('INVITE', 'fork-sim-1'), 'INVITE at UAS 2');
    uas1.answer(edgePort, inv1, '180 Ringing');
    await uac.next(isResponse(180, 'fork-sim-1'), '180 at the UAC');
    uas2.answer(edgePort, inv2, '200 OK', [`Contact: <${uas2.uri}>`]);
    await uac.next(isResponse(200, 'fork-sim-1'), '200 at the UAC');
    const cancel = await uas1.next(isRequest('CANCEL', 'fork-sim-1'), 'CANCEL at UAS 1');
    uas1.answer(edgePort, cancel, '200 OK');
    uas1.answer(edgePort, inv1, '487 Request Terminated');
    await uas1.next(isRequest('ACK', 'fork-sim-1'), 'the edge ACKs the 487');
    expect(await appResults(id)).toEqual([200]);
    await new Promise((r) => setTimeout(r, 200));
    expect(uac.got.filter(isResponse(487, 'fork-sim-1'))).toEqual([]);
  });

  it('a branch that was silent when another won is CANCELled once its first provisional arrives (§9.1)', async () => {
    const id = await proxied('fork-late-1', { mode: 'simultaneous' }, [uas1.uri, uas2.uri]);
    const inv1 = await uas1.next(isRequest('INVITE', 'fork-late-1'), 'INVITE at UAS 1');
    const inv2 = await uas2.next(isRequest('INVITE', 'fork-late-1'), 'INVITE at UAS 2');
    uas2.answer(edgePort, inv2, '200 OK', [`Contact: <${uas2.uri}>`]);
    await uac.next(isResponse(200, 'fork-late-1'), '200 at the UAC');
    expect(await appResults(id)).toEqual([200]);
    await new Promise((r) => setTimeout(r, 150));
    expect(uas1.got.filter(isRequest('CANCEL', 'fork-late-1'))).toEqual([]);
    uas1.answer(edgePort, inv1, '180 Ringing');
    const cancel = await uas1.next(isRequest('CANCEL', 'fork-late-1'), 'CANCEL after the late 180');
    uas1.answer(edgePort, cancel, '200 OK');
    uas1.answer(edgePort, inv1, '487 Request Terminated');
    await uas1.next(isRequest('ACK', 'fork-late-1'), 'the edge ACKs the 487');
    expect(uac.got.filter(isResponse(180, 'fork-late-1'))).toEqual([]);
  });

  it('serial: each failure moves on; the best response goes upstream (486 beats 503)', async () => {
    const id = await proxied('fork-ser-1', {}, [uas1.uri, uas2.uri]);
    uas1.answer(edgePort, await uas1.next(isRequest('INVITE', 'fork-ser-1'), 'INVITE at UAS 1'), '486 Busy Here');
    uas2.answer(edgePort, await uas2.next(isRequest('INVITE', 'fork-ser-1'), 'INVITE at UAS 2 after the 486'), '503 Service Unavailable');
    expect(statusOf(await uac.next((m) => m.includes('fork-ser-1') && statusOf(m) >= 300, 'final at the UAC'))).toBe(486);
    expect(await appResults(id)).toEqual([486, 503]);
  });

  it('followRedirects: a 302 Contact is tried next', async () => {
    const id = await proxied('fork-redir-1', { redirects: true }, [uas1.uri]);
    uas1.answer(edgePort, await uas1.next(isRequest('INVITE', 'fork-redir-1'), 'INVITE at UAS 1'), '302 Moved Temporarily', [`Contact: <${uas2.uri}>`]);
    const inv2 = await uas2.next(isRequest('INVITE', 'fork-redir-1'), 'INVITE at the redirect target');
    expect(inv2.startsWith(`INVITE ${uas2.uri} `)).toBe(true);
    uas2.answer(edgePort, inv2, '200 OK', [`Contact: <${uas2.uri}>`]);
    await uac.next(isResponse(200, 'fork-redir-1'), '200 at the UAC');
    expect(await appResults(id)).toEqual([302, 200]);
  });

  it('provisionalTimeout: a destination silent past it is abandoned for the next one', async () => {
    const id = await proxied('fork-prov-1', { provisional: '300ms' }, [uas1.uri, uas2.uri]);
    await uas1.next(isRequest('INVITE', 'fork-prov-1'), 'INVITE at UAS 1 (left unanswered)');
    const inv2 = await uas2.next(isRequest('INVITE', 'fork-prov-1'), 'INVITE at UAS 2 after the timeout', 3000);
    uas2.answer(edgePort, inv2, '200 OK', [`Contact: <${uas2.uri}>`]);
    await uac.next(isResponse(200, 'fork-prov-1'), '200 at the UAC');
    expect(await appResults(id)).toEqual([200]);
  });

  it('a 6xx ends the search: ringing branches are CANCELled and the 6xx goes upstream', async () => {
    const id = await proxied('fork-6xx-1', { mode: 'simultaneous' }, [uas1.uri, uas2.uri]);
    const inv1 = await uas1.next(isRequest('INVITE', 'fork-6xx-1'), 'INVITE at UAS 1');
    const inv2 = await uas2.next(isRequest('INVITE', 'fork-6xx-1'), 'INVITE at UAS 2');
    uas1.answer(edgePort, inv1, '180 Ringing');
    await uac.next(isResponse(180, 'fork-6xx-1'), '180 at the UAC');
    uas2.answer(edgePort, inv2, '603 Decline');
    const cancel = await uas1.next(isRequest('CANCEL', 'fork-6xx-1'), 'CANCEL at UAS 1');
    uas1.answer(edgePort, cancel, '200 OK');
    uas1.answer(edgePort, inv1, '487 Request Terminated');
    expect(statusOf(await uac.next((m) => m.includes('fork-6xx-1') && statusOf(m) >= 300, 'final at the UAC'))).toBe(603);
    expect(await appResults(id)).toEqual([603, 487]);
  });

  it('RFC 3263 failover: an SRV target that times out is followed by the next one of the same destination', async () => {
    const dns = await DnsTestServer.start();
    const silent = await Ua.open();
    try {
      const dead = silent.port;
      configureTargetResolver({ servers: [dns.address], hosts: false, families: [4], transports: ['udp', 'tcp'], random: () => 0 });
      dns.set('_sip._udp.pool.test', [
        { type: 'SRV', priority: 10, weight: 0, port: dead, target: 'a.pool.test' },
        { type: 'SRV', priority: 20, weight: 0, port: uas2.port, target: 'b.pool.test' },
      ]);
      dns.set('a.pool.test', [{ type: 'A', address: '127.0.0.1' }]);
      dns.set('b.pool.test', [{ type: 'A', address: '127.0.0.1' }]);
      const id = await proxied('fork-srv-1', {}, ['sip:svc@pool.test;transport=udp']);
      // Timer B is 64·T1 = 3.2 s with T1 = 50 ms.
      const inv = await uas2.next(isRequest('INVITE', 'fork-srv-1'), 'INVITE at the second SRV target', 6000);
      uas2.answer(edgePort, inv, '200 OK', [`Contact: <${uas2.uri}>`]);
      await uac.next(isResponse(200, 'fork-srv-1'), '200 at the UAC');
      expect(await appResults(id)).toEqual([200]);
      // The priority-10 target was tried first (and retransmitted to), before the failover.
      expect(silent.got.filter(isRequest('INVITE', 'fork-srv-1')).length).toBeGreaterThan(1);
    } finally {
      configureTargetResolver({ transports: ['udp', 'tcp'], families: [4] });
      silent.close();
      await dns.close();
    }
  });

  it('RFC 3263 failover for an app’s own request: the next SRV target after a timeout, same txn id for the app', async () => {
    const dns = await DnsTestServer.start();
    const silent = await Ua.open();
    try {
      const dead = silent.port;
      configureTargetResolver({ servers: [dns.address], hosts: false, families: [4], transports: ['udp', 'tcp'], random: () => 0 });
      dns.set('_sip._udp.pool2.test', [
        { type: 'SRV', priority: 10, weight: 0, port: dead, target: 'a.pool2.test' },
        { type: 'SRV', priority: 20, weight: 0, port: uas1.port, target: 'b.pool2.test' },
      ]);
      dns.set('a.pool2.test', [{ type: 'A', address: '127.0.0.1' }]);
      dns.set('b.pool2.test', [{ type: 'A', address: '127.0.0.1' }]);
      const msgId = app.send('sip||\r\nOPTIONS sip:svc@pool2.test;transport=udp SIP/2.0\r\nCall-ID: app-srv-1\r\n\r\n');
      const sent = await app.reply(msgId);
      expect(fieldsOf(sent)[3]).toBe('OK');
      const txnId = fieldsOf(sent)[10];
      const req = await uas1.next(isRequest('OPTIONS', 'app-srv-1'), 'OPTIONS at the second SRV target', 6000);
      uas1.answer(edgePort, req, '200 OK');
      const res = await app.next((f) => fieldsOf(f)[1] === 'sip' && f.includes('Call-ID: app-srv-1'));
      expect(fieldsOf(res)[8]).toBe(txnId);
      expect(statusOf(sipOf(res))).toBe(200);
      expect(silent.got.filter(isRequest('OPTIONS', 'app-srv-1')).length).toBeGreaterThan(1);
    } finally {
      configureTargetResolver({ transports: ['udp', 'tcp'], families: [4] });
      silent.close();
      await dns.close();
    }
  });

  it('a CANCEL from upstream CANCELs every ringing branch; the UAC gets 200 and a 487', async () => {
    const id = await proxied('fork-cancel-1', { mode: 'simultaneous' }, [uas1.uri, uas2.uri]);
    const inv1 = await uas1.next(isRequest('INVITE', 'fork-cancel-1'), 'INVITE at UAS 1');
    const inv2 = await uas2.next(isRequest('INVITE', 'fork-cancel-1'), 'INVITE at UAS 2');
    uas1.answer(edgePort, inv1, '180 Ringing');
    uas2.answer(edgePort, inv2, '180 Ringing');
    await uac.next(isResponse(180, 'fork-cancel-1'), 'a 180 at the UAC');
    uac.send(edgePort, [
      `CANCEL sip:fork@127.0.0.1:${edgePort} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${uac.port};rport;branch=z9hG4bK-fork-cancel-1`,
      'Max-Forwards: 70',
      'From: <sip:alice@127.0.0.1>;tag=fork-cancel-1',
      'To: <sip:fork@127.0.0.1>',
      'Call-ID: fork-cancel-1',
      'CSeq: 1 CANCEL',
    ]);
    await uac.next((m) => statusOf(m) === 200 && m.includes('CSeq: 1 CANCEL'), '200 for the CANCEL');
    for (const [ua, inv] of [[uas1, inv1], [uas2, inv2]] as const) {
      const c = await ua.next(isRequest('CANCEL', 'fork-cancel-1'), 'CANCEL downstream');
      ua.answer(edgePort, c, '200 OK');
      ua.answer(edgePort, inv, '487 Request Terminated');
    }
    await uac.next(isResponse(487, 'fork-cancel-1'), '487 at the UAC');
    expect(await appResults(id)).toEqual([487, 487]);
  });
});
