import { parseMessage } from '../sip/message-parser';
import type { SipRequest } from '../sip/message';
import type { RemoteInfo } from '../transport/transport';
import { HttpRouter, parseRouteDecision, RouteDecisionError, routingUrl } from './http-router';

const INVITE = [
  'INVITE sip:1002@pbx.example.com;foo=bar;lr SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1',
  'From: "Alice" <sip:1001@pbx.example.com>;tag=a',
  'To: <sip:1002@pbx.example.com>',
  'Call-ID: c1',
  'CSeq: 1 INVITE',
  'Max-Forwards: 70',
  'Content-Type: application/sdp; charset=utf-8',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');
const source: RemoteInfo = { proto: 'udp', address: '192.0.2.10', port: 5060, local: { address: '127.0.0.1', port: 5060 } } as RemoteInfo;

function request(): SipRequest {
  const r = parseMessage(Buffer.from(INVITE));
  if (r.kind !== 'request') throw new Error('fixture is not a request');
  return r;
}

describe('parseRouteDecision (drachtio httpCallRoutingComplete)', () => {
  it('reads the four actions with drachtio’s proxy defaults', () => {
    expect(parseRouteDecision({ action: 'reject', data: { status: 486, reason: 'Busy\r\nX: y' } })).toEqual({ action: 'reject', status: 486, reason: 'Busy  X: y' });
    expect(parseRouteDecision({ action: 'redirect', data: { contact: ['sip:a@b', 'sip:c@d'] } })).toEqual({ action: 'redirect', contacts: ['sip:a@b', 'sip:c@d'] });
    expect(parseRouteDecision({ action: 'proxy', data: { destination: 'sip:x@y' } })).toEqual({
      action: 'proxy',
      destinations: ['sip:x@y'],
      recordRoute: false,
      followRedirects: true,
      simultaneous: false,
      provisionalTimeout: '5s',
      finalTimeout: '60s',
    });
    expect(parseRouteDecision({ action: 'route', data: { uri: '10.0.0.5:9025' } })).toEqual({ action: 'route', uri: '10.0.0.5:9025' });
    expect(parseRouteDecision({ action: 'route', data: { tag: 'blue' } })).toEqual({ action: 'route', tag: 'blue' });
  });

  it.each([
    [null, /JSON object/],
    [[], /JSON object/],
    [{ data: {} }, /'action'/],
    [{ action: 'reject' }, /'data'/],
    [{ action: 'reject', data: { status: '486' } }, /'status'/],
    [{ action: 'reject', data: { status: 200 } }, /'status'/],
    [{ action: 'redirect', data: { contact: 5 } }, /'contact'/],
    [{ action: 'proxy', data: { destination: [] } }, /'destination'/],
    [{ action: 'route', data: {} }, /'uri'/],
    [{ action: 'dance', data: {} }, /valid values/],
  ])('refuses %j', (body, message) => {
    expect(() => parseRouteDecision(body)).toThrow(RouteDecisionError);
    expect(() => parseRouteDecision(body)).toThrow(message);
  });
});

describe('routingUrl', () => {
  it('sends drachtio’s query, in its order, with the Request-URI parameters last', () => {
    const url = new URL(routingUrl('https://router.example/route', request(), source));
    expect(url.pathname).toBe('/route/');
    expect([...url.searchParams.entries()]).toEqual([
      ['method', 'INVITE'],
      ['domain', 'pbx.example.com'],
      ['protocol', 'udp'],
      ['source_address', '192.0.2.10'],
      ['fromUser', '1001'],
      ['toUser', '1002'],
      ['uriUser', '1002'],
      ['contentType', 'application/sdp'],
      ['uri', 'sip:1002@pbx.example.com;foo=bar;lr'],
      ['foo', 'bar'],
      ['lr', ''],
    ]);
    expect(routingUrl('http://r/x/', request(), source).startsWith('http://r/x/?method=')).toBe(true);
  });

  it('keeps a query of the configured URL, and never lets an R-URI parameter repeat a fixed field', () => {
    const req = request();
    req.uri = 'sip:1002@pbx.example.com;source_address=10.0.0.1;Protocol=tls;region=eu';
    const url = new URL(routingUrl('https://router.example/route?token=abc', req, source));
    expect(url.searchParams.get('token')).toBe('abc');
    expect(url.searchParams.getAll('source_address')).toEqual(['192.0.2.10']);
    expect(url.searchParams.getAll('protocol')).toEqual(['udp']);
    expect(url.searchParams.has('Protocol')).toBe(false);
    expect(url.searchParams.get('region')).toBe('eu');
  });
});

describe('HttpRouter.decide', () => {
  const answer = (status: number, body: string) => Promise.resolve(new Response(body, { status }));

  it('GET carries no body; POST carries the SIP message', async () => {
    const calls: Array<{ method?: string; body?: unknown }> = [];
    const router = new HttpRouter({
      fetchImpl: ((_url: string, init: RequestInit) => {
        calls.push({ method: init.method, body: init.body });
        return answer(200, '{"action":"reject","data":{"status":403}}');
      }) as typeof fetch,
    });
    await router.decide('http://r', 'GET', request(), source, Buffer.from(INVITE));
    await router.decide('http://r', 'POST', request(), source, Buffer.from(INVITE));
    expect(calls[0]).toEqual({ method: 'GET', body: undefined });
    expect(calls[1].method).toBe('POST');
    expect(Buffer.from(calls[1].body as Uint8Array).toString()).toBe(INVITE);
  });

  it('an HTTP error, a non-JSON answer or an oversized answer is an error', async () => {
    const with_ = (status: number, body: string) => new HttpRouter({ fetchImpl: (() => answer(status, body)) as unknown as typeof fetch });
    await expect(with_(500, '{}').decide('http://r', 'GET', request(), source, Buffer.alloc(0))).rejects.toThrow(/HTTP 500/);
    await expect(with_(200, '<html>').decide('http://r', 'GET', request(), source, Buffer.alloc(0))).rejects.toThrow(/not JSON/);
    await expect(with_(200, 'x'.repeat(70_000)).decide('http://r', 'GET', request(), source, Buffer.alloc(0))).rejects.toThrow(/exceeds/);
  });
});
