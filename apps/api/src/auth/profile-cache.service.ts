import { Inject, Injectable, NotFoundException, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { publishInvalidation } from '@pbx/common';
import { InvalidationSubscriber } from '@pbx/common/invalidation-subscriber';
import { UserEntity, UsersRepository } from '@pbx/database';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { API_CONFIG, ApiConfig } from '../config/api-config';
import { APP_LOGGER } from '../logging';
import { REDIS } from '../redis/redis.module';

const TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

/**
 * The profile `GET /auth/me` shows, cached per instance for a few seconds so the most frequent
 * authenticated call costs no database round trip. Authorisation never reads this cache: the
 * permissions come from the verified token and revocation is checked in Redis on every request.
 * A change drops the entry here at once and, through `pbx:invalidate`, on every other instance.
 */
@Injectable()
export class ProfileCacheService implements OnModuleInit, OnModuleDestroy {
  private readonly entries = new Map<string, { user: UserEntity; expires: number }>();
  private subscriber: InvalidationSubscriber | undefined;

  constructor(
    private readonly users: UsersRepository,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    this.subscriber = await InvalidationSubscriber.start({
      redisUrl: this.config.REDIS_URL,
      connectionName: 'pbx-api-profile-invalidate',
      handlers: {
        user: (msg) => {
          if (msg.id) this.entries.delete(msg.id);
          else this.entries.clear();
        },
        tenant: () => this.entries.clear(),
      },
      onResync: () => this.entries.clear(),
      logger: this.logger,
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscriber?.close();
  }

  async get(tenantId: string, userId: string): Promise<UserEntity> {
    const hit = this.entries.get(userId);
    if (hit && hit.expires > Date.now() && hit.user.tenantId === tenantId) return hit.user;
    const user = await this.users.findInTenant(tenantId, userId);
    if (!user) throw new NotFoundException();
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(userId, { user, expires: Date.now() + TTL_MS });
    return user;
  }

  async changed(tenantId: string, userId: string): Promise<void> {
    this.entries.delete(userId);
    await publishInvalidation(this.redis, 'user', tenantId, userId);
  }
}
