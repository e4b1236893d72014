import { Redis } from 'ioredis';
import { createLogger, createMetricsRegistry, onShutdown, publishFloodReport, startOpsServer } from '@pbx/common';
import { loadEdgeConfig } from './config/edge-config';
import { startEdgeRuntime } from './edge/edge-runtime';
import { BurstEndGc, type GcFunction } from './transaction/burst-end-gc';
import { DropList } from './transport/drop-list';
import { FloodGuard } from './transport/flood-guard';

async function main(): Promise<void> {
  const config = loadEdgeConfig();
  const logger = createLogger('sip-edge', config.logLevel);
  const registry = createMetricsRegistry('sip-edge');
  const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: false }) : undefined;
  redis?.on('error', (err) => logger.warn({ err }, 'redis error'));
  const dropList = redis ? await DropList.start(redis, { logger }) : undefined;
  const floodGuard =
    config.flood.density > 0
      ? new FloodGuard({
          density: config.flood.density,
          allowCidrs: config.flood.allowCidrs,
          releaseAfterMs: config.flood.releaseAfterMs,
          maxSources: config.flood.maxSources,
          logger: logger.child({ component: 'flood-guard' }),
          report: redis ? (r) => publishFloodReport(redis, r) : undefined,
        })
      : undefined;
  const runtime = await startEdgeRuntime({
    contacts: config.contacts,
    admin: config.admin,
    tls: config.tls,
    timers: config.timers,
    maxTransactions: config.maxTransactions,
    cdrs: config.cdrs,
    maxPendingPerApp: config.maxPendingPerApp,
    externalIp: config.externalIp,
    requestHandlers: config.requestHandlers,
    requestHandlerHttpMethod: config.requestHandlerHttpMethod,
    dnsServers: config.dnsServers,
    maxPendingWriteBytes: config.maxPendingWriteBytes,
    dropList,
    floodGuard,
    registry,
    logger,
  });
  const ops = await startOpsServer({
    host: config.ops.address,
    port: config.ops.port,
    registry,
    checks: redis ? { redis: async () => void (await redis.ping()) } : {},
  });
  const { tl } = runtime.edge.ctx;
  const burstEndGc = new BurstEndGc({
    live: () => tl.serverCount + tl.clientCount,
    gc: (globalThis as { gc?: GcFunction }).gc,
  }).start();
  logger.info(
    {
      admin: `${config.admin.address}:${runtime.adminPort}`,
      sip: runtime.transport.listening().map((l) => l.contact),
      ops: ops.port,
      gcAfterBursts: typeof (globalThis as { gc?: unknown }).gc === 'function',
    },
    'sip edge started',
  );
  onShutdown(logger, [
    () => {
      burstEndGc.stop();
      floodGuard?.close();
      return runtime.close();
    },
    () => new Promise<void>((resolve) => ops.server.close(() => resolve())),
    async () => {
      await dropList?.close();
      redis?.disconnect();
    },
  ]);
}

main().catch((err: unknown) => {
  createLogger('sip-edge').fatal({ err }, 'sip edge failed to start');
  process.exit(1);
});
