import { connect as netConnect, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  buildErrorResponse,
  parseMessage,
  serialize,
  SipParseError,
  type SipLimits,
  type SipMessage,
} from '../../apps/sip-edge/src/sip/message';
import { StreamFramer } from '../../apps/sip-edge/src/transport/stream-framer';
import { TransportManager } from '../../apps/sip-edge/src/transport/transport';
import { createRng, Mutator } from './fixtures/fuzz-mutator';
import { VALID_MORE } from './fixtures/rfc4475-valid-more.fixtures';
import { VALID } from './fixtures/rfc4475-valid.fixtures';
import {
  StreamCollector,
  UdpClient,
  answerEverything,
  sipRequest,
  waitFor,
} from './fixtures/transport-helpers';

const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 300_000);
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);

const SEEDS: Buffer[] = [
  Buffer.from(
    sipRequest('REGISTER', 'UDP', [
      'Contact: <sip:alice@192.0.2.10:5060>;expires=3600',
      'Authorization: Digest username="alice", realm="pbx", nonce="abc", uri="sip:pbx", response="d41d8cd98f00b204e9800998ecf8427e"',
    ]),
  ),
  Buffer.from(
    sipRequest(
      'INVITE',
      'TCP',
      [
        'Contact: "Alice" <sip:alice@192.0.2.10>',
        'Content-Type: application/sdp',
        'Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>',
      ],
      'v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n',
    ),
  ),
  Buffer.from(
    'SIP/2.0 200 OK\r\nv: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport=5060;received=192.0.2.1\r\nf: <sip:a@b>;tag=1\r\nt: <sip:c@d>;tag=2\r\ni: x@y\r\nCSeq: 7 INVITE\r\nm: <sip:c@192.0.2.2>\r\nl: 4\r\n\r\nabcd',
  ),
  ...[...VALID, ...VALID_MORE].map((v) => v.message),
];

/** A real `gc()` so the memory check measures what the parser retains, not garbage not yet collected. */
function retainedHeap(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  return process.memoryUsage().heapUsed;
}

function isSipMessage(m: SipMessage): boolean {
  return (
    (m.kind === 'request' || m.kind === 'response') &&
    m.headers.has('via') &&
    m.headers.has('call-id') &&
    Buffer.isBuffer(m.body)
  );
}

/** Parses, and on success serializes and parses again; returns what happened or throws on a contract breach. */
function exercise(data: Buffer, limits?: Partial<SipLimits>): 'ok' | 'rejected' {
  let msg: SipMessage;
  try {
    msg = parseMessage(data, limits);
  } catch (err) {
    if (!(err instanceof SipParseError)) throw err;
    if (!Number.isInteger(err.status) || err.status < 400 || err.status > 599)
      throw new Error(`bad status ${err.status}`);
    const answer = buildErrorResponse(err);
    if (answer) serialize(answer);
    return 'rejected';
  }
  if (!isSipMessage(msg)) throw new Error('parse returned something that is not a SIP message');
  parseMessage(serialize(msg), limits);
  return 'ok';
}

describe('parser fuzz', () => {
  it(`survives ${ITERATIONS} mutated messages (seed ${SEED})`, () => {
    const mutator = new Mutator(createRng(SEED));
    const heapBefore = retainedHeap();
    const started = Date.now();
    let ok = 0;
    let rejected = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const seed = SEEDS[i % SEEDS.length];
      const { data, applied } = mutator.mutate(seed);
      try {
        if (exercise(data, i % 5 === 0 ? { mode: 'stream' } : undefined) === 'ok') ok++;
        else rejected++;
      } catch (err) {
        throw new Error(
          `iteration ${i} (seed ${SEED}, mutations ${applied.join('+')}) broke the parser: ${String(err)}\n${data.toString('base64')}`,
        );
      }
    }
    const heapGrowth = retainedHeap() - heapBefore;
    console.log(
      `parser fuzz: ${ITERATIONS} iterations in ${Date.now() - started} ms, ${ok} parsed, ${rejected} rejected, retained heap ${heapGrowth >= 0 ? '+' : ''}${(heapGrowth / 1e6).toFixed(1)} MB`,
    );
    expect(ok).toBeGreaterThan(ITERATIONS / 50);
    expect(rejected).toBeGreaterThan(ITERATIONS / 10);
    expect(heapGrowth).toBeLessThan(16 * 1024 * 1024);
  });

  it('keeps the stream framer bounded and total on mutated, randomly chunked streams', () => {
    const mutator = new Mutator(createRng(SEED + 1));
    const max = 64 * 1024;
    let worst = 0;
    for (let i = 0; i < 10_000; i++) {
      const framer = new StreamFramer(max);
      const stream = Buffer.concat([
        mutator.mutate(SEEDS[i % SEEDS.length]).data,
        mutator.mutate(SEEDS[(i + 1) % SEEDS.length]).data,
      ]);
      for (let pos = 0; pos < stream.length;) {
        const size = 1 + mutator.int(1500);
        const chunk = stream.subarray(pos, pos + size);
        pos += size;
        for (const frame of framer.push(chunk))
          if (frame.type === 'message') exercise(frame.data, { mode: 'stream' });
        worst = Math.max(worst, framer.pendingBytes - chunk.length);
      }
    }
    expect(worst).toBeLessThanOrEqual(max);
  });
});

/** Waits until `value` has not changed for a few polls (the storm has been taken in), with a deadline. */
async function settled(value: () => number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let quiet = 0;
  while (quiet < 3) {
    if (Date.now() > deadline) throw new Error('the storm never settled');
    await new Promise((r) => setTimeout(r, 100));
    const now = value();
    quiet = now === last ? quiet + 1 : 0;
    last = now;
  }
}

describe('transport under a fuzz storm', () => {
  let edge: TransportManager;
  const delivered: SipMessage[] = [];

  beforeAll(async () => {
    edge = await TransportManager.start({
      contacts: ['sip:127.0.0.1:0;transport=udp', 'sip:127.0.0.1:0;transport=tcp'],
    });
    answerEverything(edge, delivered);
  });

  afterAll(async () => {
    await edge.close();
  });

  const portOf = (proto: 'udp' | 'tcp'): number => edge.listening().find((l) => l.proto === proto)?.port ?? 0;

  it('keeps serving valid traffic after thousands of mutated datagrams and streams', async () => {
    const mutator = new Mutator(createRng(SEED + 2));
    const storm = await UdpClient.open();
    for (let i = 0; i < 5_000; i++) {
      storm.send(mutator.mutate(SEEDS[i % SEEDS.length]).data.subarray(0, 65_000), portOf('udp'));
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    const sockets: Socket[] = [];
    for (let c = 0; c < 20; c++) {
      const s = netConnect({ host: '127.0.0.1', port: portOf('tcp') });
      s.on('error', () => undefined);
      s.on('data', () => undefined);
      sockets.push(s);
      for (let i = 0; i < 50; i++) s.write(mutator.mutate(SEEDS[(c + i) % SEEDS.length]).data);
    }
    await settled(() => edge.stats().bytesReceived);
    const stats = edge.stats();
    console.log(
      `fuzz storm: ${stats.messagesReceived} received, ${stats.parseErrors} rejected, ${stats.errorResponsesSent} answered, ${delivered.length} delivered`,
    );
    expect(stats.parseErrors).toBeGreaterThan(1000);
    for (const s of sockets) s.destroy();

    const udp = await UdpClient.open();
    udp.send(sipRequest('OPTIONS'), portOf('udp'));
    expect((await udp.next()).status).toBe(200);
    const tcp = netConnect({ host: '127.0.0.1', port: portOf('tcp') });
    const collector = new StreamCollector();
    tcp.on('data', collector.feed);
    tcp.write(sipRequest('OPTIONS', 'TCP'));
    expect((await collector.next(1)).status).toBe(200);
    tcp.destroy();
    udp.close();
    storm.close();
    expect(delivered.every(isSipMessage)).toBe(true);
    await waitFor(() => edge.stats().connectionsCurrent === 0, 5000, 'storm connections to close');
  });
});
