import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createLogger, createMetricsRegistry, startOpsServer } from '@pbx/common';
import type Redis from 'ioredis';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { CallEventsProcessor } from './call-events.processor';
import { FraudActionsProcessor } from './fraud/fraud-actions.processor';
import type { WorkerConfig } from './config/worker-config';
import { PinoNestLogger } from './nest-logger';
import { WorkerModule } from './worker.module';
import { WORKER_REDIS } from './worker.tokens';

export interface RunningWorker {
  app: INestApplicationContext;
  opsPort: number;
  /** Stops taking jobs, lets in-flight ones finish, closes connections and the ops server. */
  close: () => Promise<void>;
}

/** Boots the worker exactly as production runs it; main.ts and the e2e tests both call this. */
export async function startWorker(config: WorkerConfig, logger: Logger = createLogger('worker', config.LOG_LEVEL)): Promise<RunningWorker> {
  const registry = createMetricsRegistry('worker');
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, logger, registry), {
    logger: new PinoNestLogger(logger),
  });
  const ds = app.get(DataSource);
  const redis = app.get<Redis>(WORKER_REDIS);
  const processor = app.get(CallEventsProcessor);
  const fraudActions = app.get(FraudActionsProcessor);
  let server: Server;
  try {
    ({ server } = await startOpsServer({
      host: config.WORKER_OPS_HOST,
      port: config.WORKER_OPS_PORT,
      registry,
      checks: {
        database: async () => void (await ds.query('SELECT 1')),
        redis: async () => void (await redis.ping()),
        queue: async () => {
          if (!processor.isRunning() || !fraudActions.isRunning()) throw new Error('worker not running');
        },
      },
    }));
  } catch (err) {
    await app.close();
    throw err;
  }
  const opsPort = (server.address() as { port: number }).port;
  return {
    app,
    opsPort,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
    },
  };
}
