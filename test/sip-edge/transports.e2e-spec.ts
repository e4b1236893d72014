import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect as netConnect, createServer, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Redis } from 'ioredis';
import { parseMessage, type SipMessage } from '../../apps/sip-edge/src/sip/message';
import { DropList } from '../../apps/sip-edge/src/transport/drop-list';
import { TransportManager, type TransportProto } from '../../apps/sip-edge/src/transport/transport';
import {
  StreamCollector,
  UdpClient,
  answerEverything,
  makeSelfSignedCert,
  openTcp,
  openWs,
  sipRequest,
  waitFor,
} from './fixtures/transport-helpers';

const cert = makeSelfSignedCert();
const runId = randomUUID();
const banKey = `test:${runId}:bans:ips`;
const banChannel = `test:${runId}:bans`;
let redis: Redis;
let dropList: DropList;
let edge: TransportManager;
let seen: SipMessage[];

function portOf(proto: TransportProto): number {
  const l = edge.listening().find((x) => x.proto === proto);
  if (!l) throw new Error(`no ${proto} listener`);
  return l.port;
}

beforeAll(async () => {
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  await redis.sadd(banKey, '127.0.0.5');
  dropList = await DropList.start(redis, { key: banKey, channel: banChannel });
  edge = await TransportManager.start({
    contacts: [
      'sip:127.0.0.1:0;transport=udp',
      'sip:127.0.0.1:0;transport=tcp',
      'sips:127.0.0.1:0;transport=tls',
      'sip:127.0.0.1:0;transport=ws',
      'sips:127.0.0.1:0;transport=wss',
    ],
    tls: { keyFile: cert.keyFile, certFile: cert.certFile, verifyOutbound: false },
    dropList,
    idleTimeoutMs: 60_000,
  });
  seen = answerEverything(edge);
});

afterAll(async () => {
  await edge?.close();
  await dropList?.close();
  await redis?.del(banKey);
  redis?.disconnect();
  cert.cleanup();
});

describe('UDP', () => {
  it('delivers a request with rport stamped and answers over the same path', async () => {
    const client = await UdpClient.open();
    client.send(sipRequest('OPTIONS'), portOf('udp'));
    const res = await client.next();
    expect(res.status).toBe(200);
    expect(res.headers.get('via')).toContain(`;rport=${client.port}`);
    const req = seen.find((m) => m.headers.get('via')?.includes(`rport=${client.port}`));
    expect(req?.kind).toBe('request');
    client.close();
  });

  it('answers a malformed request with a 400 naming the problem and never emits it', async () => {
    const client = await UdpClient.open();
    const before = seen.length;
    client.send(sipRequest('OPTIONS').replace(/CSeq: (\d+) OPTIONS/, 'CSeq: $1 INVITE'), portOf('udp'));
    const res = await client.next();
    expect(res.status).toBe(400);
    expect(res.reason).toBe('CSeq method does not match request method');
    expect(seen.length).toBe(before);
    client.close();
  });
});

describe('TCP', () => {
  it('answers over the same connection, frames split writes and answers CRLF keep-alives', async () => {
    const socket = await openTcp(portOf('tcp'));
    const collector = new StreamCollector();
    socket.on('data', collector.feed);
    const req = sipRequest('OPTIONS', 'TCP', [], 'hello');
    socket.write(req.slice(0, 20));
    await new Promise((r) => setTimeout(r, 20));
    socket.write(req.slice(20) + sipRequest('OPTIONS', 'TCP'));
    expect((await collector.next(1)).status).toBe(200);
    expect((await collector.next(2)).status).toBe(200);
    socket.write('\r\n\r\n');
    await waitFor(() => collector.pongs === 1, 2000, 'a CRLF pong');
    const conn = edge.findConnection('tcp', '127.0.0.1', socket.localPort ?? 0);
    expect(conn?.id).toMatch(/^tcp-/);
    socket.destroy();
  });

  it('reuses an inbound connection for a request to that contact', async () => {
    const socket = await openTcp(portOf('tcp'));
    const collector = new StreamCollector();
    socket.on('data', collector.feed);
    socket.write(sipRequest('REGISTER', 'TCP'));
    await collector.next(1);
    await edge.send(
      { proto: 'tcp', address: '127.0.0.1', port: socket.localPort ?? 0 },
      Buffer.from(sipRequest('OPTIONS', 'TCP').replace('OPTIONS sip', 'OPTIONS sip')),
    );
    await waitFor(() => collector.messages.length === 2, 2000, 'a request over the reused connection');
    expect(collector.messages[1].kind).toBe('request');
    socket.destroy();
  });

  it('answers 400 and closes a connection whose message has no Content-Length', async () => {
    const socket = await openTcp(portOf('tcp'));
    const collector = new StreamCollector();
    socket.on('data', collector.feed);
    let closed = false;
    socket.on('close', () => (closed = true));
    socket.write(sipRequest('OPTIONS', 'TCP').replace(/Content-Length: 0\r\n/, ''));
    const res = await collector.next(1);
    expect(res.status).toBe(400);
    expect(res.reason).toBe('Missing Content-Length header');
    await waitFor(() => closed, 2000, 'the connection to close');
  });

  it('opens an outbound connection once and reuses it', async () => {
    const received: Buffer[] = [];
    let accepted = 0;
    const server = createServer((s) => {
      accepted++;
      s.on('data', (d) => received.push(d));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await Promise.all([
      edge.send({ proto: 'tcp', address: '127.0.0.1', port }, Buffer.from(sipRequest('OPTIONS', 'TCP'))),
      edge.send({ proto: 'tcp', address: '127.0.0.1', port }, Buffer.from(sipRequest('OPTIONS', 'TCP'))),
    ]);
    await waitFor(
      () => Buffer.concat(received).toString().split('OPTIONS sip').length === 3,
      2000,
      'two requests',
    );
    expect(accepted).toBe(1);
    expect(edge.findConnection('tcp', '127.0.0.1', port)?.outbound).toBe(true);
    await expect(edge.send({ proto: 'ws', address: '127.0.0.1', port: 1 }, Buffer.from('x'))).rejects.toThrow(
      /no open ws connection/,
    );
    edge.connections().forEach((c) => c.remotePort === port && edge.closeConnection(c.id));
    await new Promise((r) => server.close(r));
  });
});

describe('TLS', () => {
  it.each(['TLSv1.2', 'TLSv1.3'] as const)('serves SIP over %s', async (version) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: portOf('tls'),
      rejectUnauthorized: false,
      minVersion: version,
      maxVersion: version,
    });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    expect(socket.getProtocol()).toBe(version);
    const collector = new StreamCollector();
    socket.on('data', collector.feed);
    socket.write(sipRequest('OPTIONS', 'TLS'));
    expect((await collector.next(1)).status).toBe(200);
    socket.write('\r\n\r\n');
    await waitFor(() => collector.pongs === 1, 2000, 'a CRLF pong over TLS');
    socket.destroy();
  });
});

describe('WebSocket', () => {
  it.each(['ws', 'wss'] as const)('serves SIP over %s with the sip subprotocol', async (proto) => {
    const ws = await openWs(`${proto}://127.0.0.1:${portOf(proto)}`);
    expect(ws.protocol).toBe('sip');
    const frames: string[] = [];
    ws.on('message', (d) => frames.push(d.toString()));
    ws.send(sipRequest('OPTIONS', proto.toUpperCase()).replace(/Content-Length: 0\r\n/, ''));
    await waitFor(() => frames.length === 1, 3000, 'a response over websocket');
    expect(parseMessage(Buffer.from(frames[0]))).toMatchObject({ kind: 'response', status: 200 });
    ws.send('\r\n\r\n');
    await waitFor(() => frames.length === 2, 2000, 'a CRLF pong over websocket');
    expect(frames[1]).toBe('\r\n');
    ws.close();
  });

  it('refuses a client that does not offer the sip subprotocol', async () => {
    await expect(openWs(`ws://127.0.0.1:${portOf('ws')}`, [])).rejects.toThrow('http 400');
    await expect(openWs(`ws://127.0.0.1:${portOf('ws')}`, ['xmpp'])).rejects.toThrow('http 400');
  });
});

describe('drop list', () => {
  it('drops packets from an IP loaded from the Redis SET or added over pub/sub, before parsing', async () => {
    expect(dropList.has('127.0.0.5')).toBe(true);
    const banned = await UdpClient.open('127.0.0.7');
    const before = edge.stats();
    await redis.publish(banChannel, JSON.stringify({ op: 'add', ip: '127.0.0.7' }));
    await waitFor(() => dropList.has('127.0.0.7'), 3000, 'the ban to arrive');
    banned.send('complete garbage that would fail to parse', portOf('udp'));
    banned.send(sipRequest('OPTIONS'), portOf('udp'));
    await waitFor(() => edge.stats().droppedBanned >= before.droppedBanned + 2, 2000, 'drops to be counted');
    expect(edge.stats().parseErrors).toBe(before.parseErrors);
    expect(banned.messages).toHaveLength(0);

    const tcp = await openTcp(portOf('tcp'), '127.0.0.5');
    await waitFor(() => tcp.destroyed || tcp.readableEnded, 2000, 'a banned TCP connection to be closed');
    tcp.destroy();

    await redis.publish(banChannel, JSON.stringify({ op: 'remove', ip: '127.0.0.7' }));
    await waitFor(() => !dropList.has('127.0.0.7'), 3000, 'the ban to be lifted');
    banned.send(sipRequest('OPTIONS'), portOf('udp'));
    expect((await banned.next()).status).toBe(200);
    banned.close();
  });
});

describe('connection limits', () => {
  it('reaps idle connections and refuses connections beyond the maximum', async () => {
    const small = await TransportManager.start({
      contacts: ['sip:127.0.0.1:0;transport=tcp'],
      idleTimeoutMs: 200,
      maxConnections: 1,
    });
    const port = small.listening()[0].port;
    const first = await openTcp(port);
    await waitFor(() => small.stats().connectionsCurrent === 1, 2000, 'the first connection');
    const second = await openTcp(port);
    await waitFor(
      () => second.destroyed || second.readableEnded,
      2000,
      'the second connection to be refused',
    );
    expect(small.stats().connectionsRejected).toBe(1);
    await waitFor(() => first.readableEnded || first.destroyed, 3000, 'the idle connection to be reaped');
    expect(small.stats().connectionsReaped).toBe(1);
    first.destroy();
    second.destroy();
    await small.close();
  });
});

describe('slow and crowded peers', () => {
  it('closes a connection that drips a message without ever finishing it', async () => {
    const edge2 = await TransportManager.start({
      contacts: ['sip:127.0.0.1:0;transport=tcp'],
      idleTimeoutMs: 0,
      incompleteMessageTimeoutMs: 300,
    });
    const socket = await openTcp(edge2.listening()[0].port);
    socket.write('OPTIONS sip:edge@127.0.0.1 SIP/2.0\r\n');
    const drip = setInterval(() => socket.writable && socket.write('X'), 50);
    await waitFor(
      () => socket.destroyed || socket.readableEnded,
      3000,
      'the dripping connection to be closed',
    );
    clearInterval(drip);
    expect(edge2.stats().connectionsReaped).toBe(1);
    socket.destroy();
    await edge2.close();
  });

  it('caps connections per source IP', async () => {
    const edge2 = await TransportManager.start({
      contacts: ['sip:127.0.0.1:0;transport=tcp'],
      maxConnectionsPerIp: 1,
    });
    const port = edge2.listening()[0].port;
    const first = await openTcp(port);
    await waitFor(() => edge2.stats().connectionsCurrent === 1, 2000, 'the first connection');
    const second = await openTcp(port);
    await waitFor(
      () => second.destroyed || second.readableEnded,
      2000,
      'the second connection to be refused',
    );
    const other = await openTcp(port, '127.0.0.3');
    await waitFor(() => edge2.stats().connectionsCurrent === 2, 2000, 'a connection from another IP');
    expect(edge2.stats().connectionsRejected).toBe(1);
    for (const s of [first, second, other]) s.destroy();
    await edge2.close();
  });
});

describe('IPv6', () => {
  it('serves UDP and TCP on [::1] and picks the IPv6 socket to answer', async () => {
    const v6 = await TransportManager.start({
      contacts: ['sip:[::1]:0;transport=udp', 'sip:[::1]:0;transport=tcp'],
    });
    answerEverything(v6);
    const [udp, tcp] = v6.listening();
    expect(udp.contact).toBe(`sip:[::1]:${udp.port};transport=udp`);
    const client = createSocket('udp6');
    const replies: Buffer[] = [];
    client.on('message', (m) => replies.push(m));
    await new Promise<void>((r) => client.bind(0, '::1', r));
    client.send(Buffer.from(sipRequest('OPTIONS')), udp.port, '::1');
    await waitFor(() => replies.length === 1, 3000, 'a response over IPv6');
    const res = parseMessage(replies[0]);
    expect(res).toMatchObject({ kind: 'response', status: 200 });
    expect(res.headers.get('via')).toContain(';received=::1');
    const socket = await new Promise<Socket>((resolve) => {
      const s = netConnect({ host: '::1', port: tcp.port }, () => resolve(s));
    });
    const collector = new StreamCollector();
    socket.on('data', collector.feed);
    socket.write(sipRequest('OPTIONS', 'TCP'));
    expect((await collector.next(1)).status).toBe(200);
    socket.destroy();
    client.close();
    await v6.close();
  });
});
