import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EDGE_SECRET, startTestEdge, waitUntil, type TestEdge } from './helpers/edge-harness';
import { RawUa as Ua } from './helpers/raw-ua';
import { fieldsOf, WireClient } from './helpers/wire-client';

/**
 * drachtio's HTTP request handlers (§8): for a new request the edge asks a web service, which answers
 * reject, redirect, proxy or route (to an app by tag); a broken answer gets 500.
 */
describe('sip-edge: HTTP request routing (request-handlers with an http URL)', () => {
  let edge: TestEdge;
  let http: Server;
  let uac: Ua;
  let uas: Ua;
  let app: WireClient;
  const queries: URLSearchParams[] = [];
  const answers: Record<string, () => unknown> = {};

  beforeAll(async () => {
    http = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      queries.push(url.searchParams);
      const answer = answers[url.searchParams.get('uriUser') ?? ''];
      if (!answer) {
        res.writeHead(404).end();
        return;
      }
      const body = answer();
      const send = () => res.writeHead(200, { 'content-type': 'application/json' }).end(typeof body === 'string' ? body : JSON.stringify(body));
      if (url.searchParams.get('uriUser')?.startsWith('slow')) setTimeout(send, 400);
      else send();
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    const httpPort = (http.address() as AddressInfo).port;
    edge = await startTestEdge({ t1: 50, requestHandlers: { invite: `http://127.0.0.1:${httpPort}/route` } });
    [uac, uas] = await Promise.all([Ua.open(), Ua.open()]);
    app = await WireClient.open(edge.adminPort);
    await app.reply(app.send(`authenticate|${EDGE_SECRET}|blue,green`));
    await app.reply(app.send('route|invite'));
  });

  afterAll(async () => {
    app.close();
    uac.close();
    uas.close();
    await edge.close();
    await new Promise((r) => http.close(r));
  });

  function invite(user: string, callId: string): void {
    uac.send(edge.port('udp'), [
      `INVITE sip:${user}@127.0.0.1:${edge.port('udp')};region=eu SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${uac.port};rport;branch=z9hG4bK-${callId}`,
      'Max-Forwards: 70',
      `From: <sip:alice@127.0.0.1>;tag=${callId}`,
      `To: <sip:${user}@127.0.0.1>`,
      `Call-ID: ${callId}`,
      'CSeq: 1 INVITE',
      `Contact: <sip:alice@127.0.0.1:${uac.port}>`,
    ]);
  }

  it('reject: the status and reason of the answer, after a query with drachtio’s parameters', async () => {
    answers.busy = () => ({ action: 'reject', data: { status: 486, reason: 'Busy Here' } });
    invite('busy', 'http-reject-1');
    expect(await uac.final('http-reject-1')).toMatch(/^SIP\/2\.0 486 Busy Here\r\n/);
    const q = queries.at(-1);
    expect(q && Object.fromEntries(q)).toEqual({
      method: 'INVITE',
      domain: '127.0.0.1',
      protocol: 'udp',
      source_address: '127.0.0.1',
      fromUser: 'alice',
      toUser: 'busy',
      uriUser: 'busy',
      contentType: '',
      uri: `sip:busy@127.0.0.1:${edge.port('udp')};region=eu`,
      region: 'eu',
    });
  });

  it('redirect: 302 with the Contacts of the answer', async () => {
    answers.moved = () => ({ action: 'redirect', data: { contact: ['<sip:a@192.0.2.1>', '<sip:b@192.0.2.2>'] } });
    invite('moved', 'http-redirect-1');
    const res = await uac.final('http-redirect-1');
    expect(res).toMatch(/^SIP\/2\.0 302 Moved\r\n/);
    expect(res).toContain('\r\nContact: <sip:a@192.0.2.1>, <sip:b@192.0.2.2>\r\n');
  });

  it('proxy: the edge proxies to the destination with no app involved', async () => {
    answers.far = () => ({ action: 'proxy', data: { destination: `sip:far@127.0.0.1:${uas.port}`, recordRoute: true } });
    invite('far', 'http-proxy-1');
    await waitUntil(() => uas.got.some((m) => m.startsWith('INVITE ') && m.includes('http-proxy-1')), 4000, 'INVITE at the UAS');
    const inv = uas.got.find((m) => m.startsWith('INVITE ')) ?? '';
    expect(inv).toContain(`Record-Route: <sip:127.0.0.1:${edge.port('udp')};lr>`);
    const lines = inv.split('\r\n');
    uas.send(edge.port('udp'), [
      'SIP/2.0 200 OK',
      ...lines.filter((l) => /^(Via|From|Call-ID|CSeq|Record-Route):/i.test(l)),
      `${lines.find((l) => l.startsWith('To:'))};tag=far1`,
      `Contact: <sip:far@127.0.0.1:${uas.port}>`,
    ]);
    expect(await uac.final('http-proxy-1')).toMatch(/^SIP\/2\.0 200 OK\r\n/);
    expect(app.frames.some((f) => f.includes('http-proxy-1'))).toBe(false);
  });

  it('route by tag: the request goes to the app that authenticated with that tag; an unknown tag gets 480', async () => {
    answers.tagged = () => ({ action: 'route', data: { tag: 'green' } });
    invite('tagged', 'http-tag-1');
    const frame = await app.next((f) => f.includes('Call-ID: http-tag-1') && fieldsOf(f)[1] === 'sip');
    app.send(`sip|${fieldsOf(frame)[8]}|\r\nSIP/2.0 404 Not Found\r\n\r\n`);
    expect(await uac.final('http-tag-1')).toMatch(/^SIP\/2\.0 404 /);
    answers.nobody = () => ({ action: 'route', data: { tag: 'purple' } });
    invite('nobody', 'http-tag-2');
    expect(await uac.final('http-tag-2')).toMatch(/^SIP\/2\.0 480 /);
  });

  it('a CANCEL while the routing service thinks ends the INVITE with 487; the late answer is dropped', async () => {
    answers.slowtag = () => ({ action: 'route', data: { tag: 'green' } });
    invite('slowtag', 'http-cancel-1');
    await new Promise((r) => setTimeout(r, 100));
    uac.send(edge.port('udp'), [
      `CANCEL sip:slowtag@127.0.0.1:${edge.port('udp')};region=eu SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${uac.port};rport;branch=z9hG4bK-http-cancel-1`,
      'Max-Forwards: 70',
      'From: <sip:alice@127.0.0.1>;tag=http-cancel-1',
      'To: <sip:slowtag@127.0.0.1>',
      'Call-ID: http-cancel-1',
      'CSeq: 1 CANCEL',
    ]);
    const finals = [await uac.final('http-cancel-1'), await uac.final('http-cancel-1')].map((m) => `${m.slice(8, 11)} ${/CSeq: 1 (\w+)/.exec(m)?.[1]}`);
    expect(finals.sort()).toEqual(['200 CANCEL', '487 INVITE']);
    await new Promise((r) => setTimeout(r, 600));
    expect(app.frames.some((f) => f.includes('http-cancel-1'))).toBe(false);
  });

  it('a broken answer (not JSON, unknown action, HTTP error) gets 500', async () => {
    answers.garbage = () => '<html>oops</html>';
    answers.weird = () => ({ action: 'dance', data: {} });
    invite('garbage', 'http-bad-1');
    invite('weird', 'http-bad-2');
    invite('unknown-user', 'http-bad-3');
    for (const id of ['http-bad-1', 'http-bad-2', 'http-bad-3']) expect(await uac.final(id)).toMatch(/^SIP\/2\.0 500 /);
  });
});
