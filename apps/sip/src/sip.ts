import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createLogger, createMetricsRegistry, startOpsServer } from '@pbx/common';
import type Redis from 'ioredis';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { SipConfig } from './config/sip-config';
import { CallRegistry } from './call/call-registry';
import { RtpengineService } from './call/rtpengine.service';
import { DrachtioConnectionService } from './drachtio/drachtio-connection.service';
import { PinoNestLogger } from './nest-logger';
import { SipModule } from './sip.module';
import { SIP_REDIS } from './sip.tokens';

export interface RunningSip {
  app: INestApplicationContext;
  opsPort: number;
  close: () => Promise<void>;
}

/** Boots the SIP app as production runs it: Nest context, drachtio connection, ops server. */
export async function startSip(config: SipConfig, logger: Logger = createLogger('sip', config.LOG_LEVEL)): Promise<RunningSip> {
  const registry = createMetricsRegistry('sip');
  const app = await NestFactory.createApplicationContext(SipModule.forRoot(config, logger, registry), {
    logger: new PinoNestLogger(logger),
  });
  const ds = app.get(DataSource);
  const redis = app.get<Redis>(SIP_REDIS);
  const drachtio = app.get(DrachtioConnectionService);
  const rtpengine = app.get(RtpengineService);
  let server: Server;
  try {
    ({ server } = await startOpsServer({
      host: config.SIP_OPS_HOST,
      port: config.SIP_OPS_PORT,
      registry,
      checks: {
        database: async () => void (await ds.query('SELECT 1')),
        redis: async () => void (await redis.ping()),
        drachtio: async () => {
          if (!drachtio.isConnected()) throw new Error('not connected to drachtio');
        },
        // Without the media relay new calls get 503: the app is up but not ready for calls.
        rtpengine: () => rtpengine.ping(),
      },
    }));
  } catch (err) {
    await app.close();
    throw err;
  }
  return {
    app,
    opsPort: (server.address() as { port: number }).port,
    close: async () => {
      // Drain first: calls in progress keep the drachtio connection and the stores they need.
      const ended = await app.get(CallRegistry).drain(config.SIP_DRAIN_SECONDS * 1000);
      if (ended) logger.warn({ ended }, 'calls ended at shutdown after the drain period');
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
    },
  };
}
