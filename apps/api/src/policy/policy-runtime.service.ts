import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InvalidationKind, publishInvalidation } from '@pbx/common';
import { InvalidationSubscriber } from '@pbx/common/invalidation-subscriber';
import { PolicyCache, PolicyEvaluator, PolicyLoader } from '@pbx/database';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { API_CONFIG, ApiConfig } from '../config/api-config';
import { APP_LOGGER } from '../logging';
import { REDIS } from '../redis/redis.module';

/** A short backstop: a lost invalidation message leaves a stale policy for at most this long. */
const POLICY_CACHE_TTL_MS = 15_000;

/**
 * The API's instance of what the SIP app runs: compiled policies cached per tenant, dropped on
 * `pbx:invalidate` messages, and the shared evaluator on top.
 */
@Injectable()
export class PolicyRuntime implements OnModuleInit, OnModuleDestroy {
  readonly cache: PolicyCache;
  readonly evaluator: PolicyEvaluator;
  private subscriber: InvalidationSubscriber | undefined;

  constructor(
    loader: PolicyLoader,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {
    this.cache = new PolicyCache(loader, { ttlMs: POLICY_CACHE_TTL_MS });
    this.evaluator = new PolicyEvaluator(this.cache, redis);
  }

  async onModuleInit(): Promise<void> {
    const drop = (msg: { tenantId: string | null }) => this.cache.drop(msg.tenantId);
    this.subscriber = await InvalidationSubscriber.start({
      redisUrl: this.config.REDIS_URL,
      connectionName: 'pbx-api-policy-invalidate',
      handlers: { policy: drop, tenant: drop, device: drop },
      onResync: () => this.cache.drop(null),
      logger: this.logger,
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscriber?.close();
  }

  /** After a policy change: this process forgets at once, every other one on the message. */
  async changed(tenantId: string, id: string | null = null, kinds: readonly InvalidationKind[] = ['policy']): Promise<void> {
    this.cache.drop(tenantId);
    for (const kind of kinds) await publishInvalidation(this.redis, kind, tenantId, id);
  }
}
