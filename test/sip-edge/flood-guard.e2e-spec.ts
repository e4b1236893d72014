import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type Srf from 'drachtio-srf';
import { Registry } from 'prom-client';
import { createLogger, parseFloodReport, publishFloodReport, RedisChannels, type FloodReport } from '../../libs/common/src';
import { startEdgeRuntime, type EdgeRuntime } from '../../apps/sip-edge/src/edge/edge-runtime';
import { DropList } from '../../apps/sip-edge/src/transport/drop-list';
import { FloodGuard } from '../../apps/sip-edge/src/transport/flood-guard';
import type { TransportProto } from '../../apps/sip-edge/src/transport/transport';
import { EDGE_SECRET } from './helpers/edge-harness';
import { connectSrf, disconnectSrf, onMethod } from './helpers/srf-app';
import { StreamCollector, UdpClient, openTcp, sipRequest, waitFor } from './fixtures/transport-helpers';

/** Requests per unit a source may send; a short unit and release keep the suite quick. */
const DENSITY = 20;
const UNIT_MS = 1000;
const RELEASE_MS = 1000;
const FLOODER = '127.0.0.77';

/**
 * The per-source request-rate guard on a real edge: a flooding source is dropped before parsing and
 * reported on Redis once, while other sources (the stack's own 127.0.0.1, the configured allow list,
 * and any well-behaved peer) keep being served.
 */
describe('sip-edge: flood guard', () => {
  const runId = randomUUID();
  const banKey = `test:${runId}:bans:ips`;
  const banChannel = `test:${runId}:bans`;
  const logger = createLogger('sip-edge-flood-test', process.env.EDGE_TEST_LOG ?? 'silent');
  const registry = new Registry();
  const reports: FloodReport[] = [];
  const seen: string[] = [];
  let redis: Redis;
  let sub: Redis;
  let dropList: DropList;
  let guard: FloodGuard;
  let runtime: EdgeRuntime;
  let app: Srf;

  const port = (proto: TransportProto) => runtime.transport.listening().find((l) => l.proto === proto)?.port ?? 0;
  const stats = () => runtime.transport.stats();
  const seenFrom = (ip: string) => seen.filter((s) => s === ip).length;
  const metric = async (name: string) => {
    const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.slice(name.length + 1));
  };

  beforeAll(async () => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    sub = redis.duplicate();
    sub.on('message', (channel: string, raw: string) => {
      const report = channel === RedisChannels.floods ? parseFloodReport(raw) : null;
      if (report?.ip.startsWith('127.')) reports.push(report);
    });
    await sub.subscribe(RedisChannels.floods);
    await redis.sadd(banKey, '127.0.0.66');
    dropList = await DropList.start(redis, { key: banKey, channel: banChannel, logger });
    guard = new FloodGuard({
      density: DENSITY,
      unitMs: UNIT_MS,
      releaseAfterMs: RELEASE_MS,
      allowCidrs: ['127.0.1.0/24'],
      logger,
      report: (r) => publishFloodReport(redis, r),
    });
    runtime = await startEdgeRuntime({
      contacts: ['sip:127.0.0.1:0;transport=udp', 'sip:127.0.0.1:0;transport=tcp'],
      admin: { address: '127.0.0.1', port: 0, secret: EDGE_SECRET },
      dropList,
      floodGuard: guard,
      registry,
      logger,
    });
    app = await connectSrf(runtime.adminPort, (srf) =>
      onMethod(srf, 'options', (req, res) => {
        seen.push(req.source_address);
        res.send(200);
      }),
    );
  });

  afterAll(async () => {
    disconnectSrf(app);
    await runtime?.close();
    guard?.close();
    await dropList?.close();
    await redis?.del(banKey);
    sub?.disconnect();
    redis?.disconnect();
  });

  it('drops a flooding UDP source before parsing, keeps answering others, reports it once, and lets it back after calm', async () => {
    const flooder = await UdpClient.open(FLOODER);
    const own = await UdpClient.open('127.0.0.1');
    const neighbour = await UdpClient.open('127.0.0.79');
    const before = stats();
    const startedAt = Date.now();

    for (let i = 0; i < 100; i++) flooder.send(sipRequest('OPTIONS'), port('udp'));
    await waitFor(() => stats().droppedFlooding - before.droppedFlooding >= 100 - DENSITY, 3000, 'the flood to be dropped');
    expect(guard.isFlooding(FLOODER)).toBe(true);

    // The flood goes on, garbage included; well-behaved peers are answered all along.
    const flood = setInterval(() => {
      for (let i = 0; i < 10; i++) flooder.send(i % 2 ? 'not SIP at all\r\n\r\n' : sipRequest('OPTIONS'), port('udp'));
    }, 20);
    try {
      for (let i = 1; i <= 3; i++) {
        own.send(sipRequest('OPTIONS'), port('udp'));
        neighbour.send(sipRequest('OPTIONS'), port('udp'));
        expect((await own.next(i)).status).toBe(200);
        expect((await neighbour.next(i)).status).toBe(200);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      clearInterval(flood);
    }
    expect(stats().parseErrors).toBe(before.parseErrors);
    expect(seenFrom(FLOODER)).toBe(DENSITY);
    expect(flooder.messages).toHaveLength(DENSITY);
    const dropped = stats().droppedFlooding - before.droppedFlooding;
    expect(dropped).toBeGreaterThan(100);
    expect(await metric('sip_edge_flood_dropped_total')).toBe(guard.dropped);
    expect(guard.dropped).toBeGreaterThanOrEqual(dropped);
    expect(await metric('sip_edge_flood_sources_blocked')).toBe(1);

    await waitFor(() => reports.some((r) => r.ip === FLOODER), 2000, 'the flood report on Redis');
    const report = reports.filter((r) => r.ip === FLOODER);
    expect(report).toHaveLength(1);
    expect(report[0].count).toBe(DENSITY + 1);
    expect(report[0].at).toBeGreaterThanOrEqual(startedAt);
    expect(report[0].at).toBeLessThanOrEqual(Date.now());

    // Quiet until the last busy unit has slid out of the window, then calm for RELEASE_MS, seen by a sweep.
    await waitFor(() => !guard.isFlooding(FLOODER), 4 * UNIT_MS + RELEASE_MS + 3000, 'the flooder to be released');
    expect(await metric('sip_edge_flood_sources_blocked')).toBe(0);
    flooder.send(sipRequest('OPTIONS'), port('udp'));
    expect((await flooder.next(DENSITY + 1)).status).toBe(200);
    for (const c of [flooder, own, neighbour]) c.close();
  });

  it('never limits an allow-listed source, however fast it sends', async () => {
    const office = await UdpClient.open('127.0.1.5');
    const before = stats().droppedFlooding;
    for (let i = 0; i < 5 * DENSITY; i++) office.send(sipRequest('OPTIONS'), port('udp'));
    await waitFor(() => office.messages.length === 5 * DENSITY, 5000, 'every request to be answered');
    expect(seenFrom('127.0.1.5')).toBe(5 * DENSITY);
    expect(stats().droppedFlooding).toBe(before);
    expect(reports.some((r) => r.ip === '127.0.1.5')).toBe(false);
    office.close();
  });

  it('closes a flooding TCP connection and refuses new ones from that source while it floods', async () => {
    const ip = '127.0.0.78';
    const socket = await openTcp(port('tcp'), ip);
    const collector = new StreamCollector();
    socket.on('data', collector.feed);
    socket.write(Array.from({ length: 3 * DENSITY }, () => sipRequest('OPTIONS', 'TCP')).join(''));
    await waitFor(() => socket.destroyed || socket.readableEnded, 3000, 'the flooding connection to be closed');
    // The connection itself counted as the source's first request.
    await waitFor(() => seenFrom(ip) >= DENSITY - 1, 2000, 'the requests under the density to reach the app');
    await new Promise((r) => setTimeout(r, 100));
    expect(seenFrom(ip)).toBe(DENSITY - 1);
    expect(guard.isFlooding(ip)).toBe(true);
    socket.destroy();

    const before = stats().droppedFlooding;
    const again = await openTcp(port('tcp'), ip);
    await waitFor(() => again.destroyed || again.readableEnded, 3000, 'the new connection to be refused');
    expect(stats().droppedFlooding).toBe(before + 1);
    again.destroy();
    await waitFor(() => reports.some((r) => r.ip === ip), 2000, 'the TCP flood report');
  });

  it("drops a banned loopback address other than the stack's own (the drop list has no loopback exception)", async () => {
    const banned = await UdpClient.open('127.0.0.66');
    const before = stats();
    banned.send('not SIP at all', port('udp'));
    banned.send(sipRequest('OPTIONS'), port('udp'));
    await waitFor(() => stats().droppedBanned >= before.droppedBanned + 2, 2000, 'the banned packets to be dropped');
    await new Promise((r) => setTimeout(r, 200));
    expect(banned.messages).toHaveLength(0);
    expect(seenFrom('127.0.0.66')).toBe(0);
    expect(stats().parseErrors).toBe(before.parseErrors);
    expect(stats().droppedFlooding).toBe(before.droppedFlooding);
    banned.close();
  });
});
