import { Inject, Injectable } from '@nestjs/common';
import { InvalidationKind, publishInvalidation } from '@pbx/common';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { APP_LOGGER } from '../logging';
import { REDIS } from '../redis/redis.module';

/**
 * Tells the SIP processes that cached telephony config changed. The change is already committed
 * when this runs, so a Redis outage is logged rather than failing the request: the subscribers'
 * short cache TTL is the backstop.
 */
@Injectable()
export class InvalidationService {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  async publish(kind: InvalidationKind, tenantId: string, id: string | null): Promise<void> {
    try {
      await publishInvalidation(this.redis, kind, tenantId, id);
    } catch (err) {
      this.logger.error({ err, kind, tenantId, id }, 'invalidation publish failed');
    }
  }
}
