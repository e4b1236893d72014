import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { EDGE_SECRET, startTestEdge, waitUntil, type TestEdge } from './helpers/edge-harness';
import { fieldsOf, sipOf, WireClient } from './helpers/wire-client';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIME = /^\d{2}:\d{2}:\d{2}\.\d{6}$/;

describe('sip-edge: drachtio wire protocol, frame by frame (raw client)', () => {
  let edge: TestEdge;
  let client: WireClient;

  beforeAll(async () => {
    edge = await startTestEdge();
  });
  afterAll(async () => {
    await edge.close();
  });
  afterEach(() => client?.close());

  const authed = async () => {
    client = await WireClient.open(edge.adminPort);
    const id = client.send(`authenticate|${EDGE_SECRET}|`);
    await client.reply(id);
    return client;
  };

  it('authenticate: OK|<hostports>|<version>|<local hostports> [T01]', async () => {
    client = await WireClient.open(edge.adminPort);
    const id = client.send(`authenticate|${EDGE_SECRET}|blue,green`);
    const f = fieldsOf(await client.reply(id));
    expect(f[0]).toMatch(UUID);
    expect(f.slice(1, 4)).toEqual(['response', id, 'OK']);
    expect(f[4]).toContain(`udp/127.0.0.1:${edge.port('udp')}`);
    expect(f[4]).toContain(`tcp/127.0.0.1:${edge.port('tcp')}`);
    expect(f[5]).toMatch(/^v\d+\.\d+\.\d+/);
    expect(f[6]).toBe(f[4]);
  });

  it('a wrong secret gets NO|incorrect secret and the connection is closed [T02]', async () => {
    client = await WireClient.open(edge.adminPort);
    const id = client.send('authenticate|wrong-secret|');
    expect(fieldsOf(await client.reply(id)).slice(3)).toEqual(['NO', 'incorrect secret']);
    await waitUntil(() => client.closed, 2000, 'close');
  });

  it('refuses every command before authenticate and closes (safer than drachtio-server, which answers them)', async () => {
    for (const cmd of ['route|invite', 'ping', 'sip||\r\nOPTIONS sip:x@127.0.0.1:5399 SIP/2.0\r\n\r\n']) {
      client = await WireClient.open(edge.adminPort);
      const id = client.send(cmd);
      expect(fieldsOf(await client.reply(id)).slice(3)).toEqual(['NO', 'not authenticated']);
      await waitUntil(() => client.closed, 2000, 'close');
      client.close();
    }
  });

  it('route, ping, and frames split across writes or batched in one', async () => {
    await authed();
    const a = `x1|route|options`;
    const b = `x2|ping`;
    const both = `${a.length}#${a}${b.length}#${b}`;
    client.writeRaw(both.slice(0, 5));
    await new Promise((r) => setTimeout(r, 30));
    client.writeRaw(both.slice(5));
    expect(fieldsOf(await client.reply('x1')).slice(3)).toEqual(['OK']);
    expect(fieldsOf(await client.reply('x2')).slice(3)).toEqual(['OK', 'pong']);
  });

  it('an unknown command gets NO and a disconnect; a bad length prefix just disconnects', async () => {
    await authed();
    const id = client.send('frobnicate|x');
    expect(fieldsOf(await client.reply(id)).slice(3)).toEqual(['NO', 'Unknown message type']);
    await waitUntil(() => client.closed, 2000, 'close');
    await authed();
    client.writeRaw('12a#garbage');
    await waitUntil(() => client.closed, 2000, 'close after bad prefix');
  });

  it.each([
    ['sip||no-such-dialog-id\r\nBYE sip:placeholder SIP/2.0\r\n\r\n', 'NOK|Server error: unable to find dialog for dialog id provided'],
    ['sip|no-such-txn|\r\nCANCEL sip:x@127.0.0.1 SIP/2.0\r\n\r\n', 'NOK|unable to cancel unknown transaction id: no-such-txn'],
    ['sip|no-such-txn|\r\nSIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\n\r\n', 'NOK|Response not sent due to unknown transaction'],
    ['sip||\r\nINFO sip:nobody@127.0.0.1:5399 SIP/2.0\r\nContent-Length: 5\r\n\r\nhello', 'NOK|missing content-type'],
  ])('SIP-layer errors answer NOK and keep the connection [T02]: %#', async (payload, expected) => {
    await authed();
    const id = client.send(payload);
    expect(fieldsOf(await client.reply(id)).slice(3).join('|')).toBe(expected);
    const ping = client.send('ping');
    await client.reply(ping);
    expect(client.closed).toBe(false);
  });

  it('refuses to send a request to itself [T02]', async () => {
    await authed();
    const id = client.send(`sip||\r\nOPTIONS sip:127.0.0.1:${edge.port('udp')} SIP/2.0\r\n\r\n`);
    expect(fieldsOf(await client.reply(id)).slice(3).join('|')).toBe('NOK|can not send request to myself');
  });

  it('a response without txn id gets NO|transaction id missing and a disconnect [T02]', async () => {
    await authed();
    const id = client.send('sip||\r\nSIP/2.0 200 OK\r\n\r\n');
    expect(fieldsOf(await client.reply(id)).slice(3).join('|')).toBe('NO|transaction id missing');
    await waitUntil(() => client.closed, 2000, 'close');
  });

  describe('an incoming request and the app response [T03]', () => {
    let udp: UdpSocket;
    const received: string[] = [];
    beforeAll(async () => {
      udp = createSocket('udp4');
      udp.on('message', (m) => received.push(m.toString()));
      await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    });
    afterAll(() => udp.close());

    it('relays the request with the meta line srf parses and echoes the response as sent', async () => {
      await authed();
      await client.reply(client.send('route|register'));
      const port = udp.address().port;
      const register = [
        `REGISTER sip:127.0.0.1:${edge.port('udp')} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-wire-1`,
        'From: <sip:alice@127.0.0.1>;tag=1',
        'To: <sip:alice@127.0.0.1>',
        'Call-ID: wire-1@127.0.0.1',
        'CSeq: 1 REGISTER',
        `Contact: <sip:alice@127.0.0.1:${port}>`,
        'Max-Forwards: 70',
        'X-Custom: kept',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      udp.send(register, edge.port('udp'), '127.0.0.1');
      const frame = await client.next((f) => fieldsOf(f)[1] === 'sip');
      const f = fieldsOf(frame);
      expect(f.length).toBe(13);
      expect(f.slice(1, 7)).toEqual(['sip', 'network', String(Buffer.byteLength(register)), 'udp', '127.0.0.1', String(port)]);
      expect(f[7]).toMatch(TIME);
      expect(f[8]).toMatch(UUID);
      expect(f.slice(9)).toEqual(['', '127.0.0.1', String(edge.port('udp')), '']);
      expect(sipOf(frame)).toContain(`branch=z9hG4bK-wire-1;rport=${port}\r\n`);

      const id = client.send(`sip|${f[8]}|\r\nSIP/2.0 200 OK\r\ncseq: 1 REGISTER\r\nto: <sip:alice@127.0.0.1>\r\ncontact: <sip:alice@127.0.0.1:${port}>\r\nx-app: yes\r\nContent-Length: 0\r\n\r\n`);
      const reply = await client.reply(id);
      const r = fieldsOf(reply);
      expect(r.slice(3, 9)).toEqual(['OK', 'application', String(Buffer.byteLength(sipOf(reply))), '', '127.0.0.1', String(port)]);
      expect(r[10]).toBe(f[8]);
      expect(r.slice(11)).toEqual(['', '', 'Msg sent:', '']);
      await waitUntil(() => received.length > 0, 2000, 'the 200 over UDP');
      expect(received[0]).toBe(sipOf(reply));
      expect(received[0]).toMatch(/^SIP\/2\.0 200 OK\r\nVia: SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;branch=z9hG4bK-wire-1;rport=\d+\r\nFrom: <sip:alice@127\.0\.0\.1>;tag=1\r\nTo: <sip:alice@127\.0\.0\.1>;tag=\S+\r\nCall-ID: wire-1@127\.0\.0\.1\r\nCSeq: 1 REGISTER\r\nContact: <sip:alice@127\.0\.0\.1:\d+>\r\nContent-Length: 0\r\nx-app: yes\r\n\r\n$/);

      // A retransmission of the REGISTER is answered from the transaction, not passed to the app again.
      udp.send(register, edge.port('udp'), '127.0.0.1');
      await waitUntil(() => received.length > 1, 2000, 'the retransmitted 200');
      expect(received[1]).toBe(received[0]);
      expect(client.frames.filter((x) => fieldsOf(x)[1] === 'sip')).toHaveLength(0);
    });
  });
});
