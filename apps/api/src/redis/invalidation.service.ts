import { Inject, Injectable } from '@nestjs/common';
import { InvalidationKind, InvalidationPublisher } from '@pbx/common';
import { afterCommit } from '@pbx/database';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { METRICS_REGISTRY } from '../health/metrics';
import { APP_LOGGER } from '../logging';
import { REDIS } from './redis.token';

/**
 * Tells every process that cached configuration changed, through the one shared publisher (a
 * failure is logged and counted, never thrown; caches expire on their TTL regardless). Inside an
 * audited change the message waits for the commit, so no cache reloads a row that may roll back.
 */
@Injectable()
export class InvalidationService {
  private readonly publisher: InvalidationPublisher;

  constructor(
    @Inject(REDIS) redis: Redis,
    @Inject(APP_LOGGER) logger: Logger,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    this.publisher = new InvalidationPublisher(redis, { logger, registry });
  }

  publish(kind: InvalidationKind, tenantId: string | null, id: string | null = null): Promise<void> {
    return afterCommit(() => this.publisher.publish(kind, tenantId, id));
  }

  /** For dependencies of shared code (`enforceDecision`) that publish themselves. */
  get shared(): InvalidationPublisher {
    return this.publisher;
  }
}
