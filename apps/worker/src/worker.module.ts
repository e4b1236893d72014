import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { createRedis } from '@pbx/common';
import { DatabaseModule, PolicyLoader } from '@pbx/database';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { CallEventsProcessor } from './call-events.processor';
import { WORKER_CONFIG, WorkerConfig } from './config/worker-config';
import { FINDING_SINK, LoggingFindingSink, RecordingFindingSink, type FindingSink } from './scoring/finding-sink';
import { PolicyFraudContextSource } from './scoring/fraud-context.source';
import { FraudStateStore } from './scoring/fraud-state.store';
import { Scorer } from './scoring/scorer';
import { WORKER_LOGGER, WORKER_METRICS, WORKER_REDIS } from './worker.tokens';
import { FindingResponder } from './fraud/finding-responder.service';
import { FRAUD_RESPONSE_PROVIDERS } from './fraud/fraud-response.providers';

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(WORKER_REDIS) private readonly redis: Redis) {}
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** The headless worker: one processor per queue, repositories from the shared database lib. */
@Module({})
export class WorkerModule {
  static forRoot(config: WorkerConfig, logger: Logger, registry: Registry): DynamicModule {
    return {
      module: WorkerModule,
      imports: [DatabaseModule.forRoot({ url: config.DATABASE_URL, poolSize: 5, applicationName: 'pbx-worker' })],
      providers: [
        { provide: WORKER_CONFIG, useValue: config },
        { provide: WORKER_LOGGER, useValue: logger },
        { provide: WORKER_METRICS, useValue: registry },
        // A command client (fails fast) for health checks; BullMQ gets its own blocking connection.
        { provide: WORKER_REDIS, useFactory: () => createRedis(config.REDIS_URL, 'pbx-worker-cmd') },
        RedisCloser,
        PolicyLoader,
        {
          provide: FINDING_SINK,
          inject: [WORKER_REDIS, FindingResponder],
          useFactory: (redis: Redis, responder: FindingResponder): FindingSink =>
            config.FRAUD_FINDINGS_SINK === 'record'
              ? new RecordingFindingSink(redis)
              : config.FRAUD_FINDINGS_SINK === 'log'
                ? new LoggingFindingSink(logger)
                : responder,
        },
        {
          provide: Scorer,
          inject: [WORKER_REDIS, PolicyLoader, FINDING_SINK],
          useFactory: (redis: Redis, loader: PolicyLoader, sink: FindingSink) =>
            new Scorer(new FraudStateStore(redis), new PolicyFraudContextSource(loader), sink, redis),
        },
        CallEventsProcessor,
        ...FRAUD_RESPONSE_PROVIDERS,
      ],
    };
  }
}
