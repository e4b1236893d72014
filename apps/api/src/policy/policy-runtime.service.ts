import { Inject, Injectable } from '@nestjs/common';
import type { InvalidationKind } from '@pbx/common';
import { AuthoriseCallUseCase, CallCounters, PolicyCache, PolicyEvaluator } from '@pbx/call-control';
import { afterCommit, PolicyLoader } from '@pbx/database';
import type Redis from 'ioredis';
import { InvalidationBus } from '../redis/invalidation-bus.service';
import { InvalidationService } from '../redis/invalidation.service';
import { REDIS } from '../redis/redis.module';

/** A short backstop: a lost invalidation message leaves a stale policy for at most this long. */
const POLICY_CACHE_TTL_MS = 15_000;

/**
 * The API's instance of what the SIP app runs: compiled policies cached per tenant, dropped on
 * `pbx:invalidate` messages, and the shared evaluator on top.
 */
@Injectable()
export class PolicyRuntime {
  readonly cache: PolicyCache;
  readonly evaluator: PolicyEvaluator;
  /** The SIP app's gate; the API only runs it dry. */
  readonly authorise: AuthoriseCallUseCase;

  constructor(
    loader: PolicyLoader,
    @Inject(REDIS) redis: Redis,
    bus: InvalidationBus,
    private readonly invalidation: InvalidationService,
  ) {
    this.cache = new PolicyCache(loader, { ttlMs: POLICY_CACHE_TTL_MS });
    this.evaluator = new PolicyEvaluator(this.cache, redis);
    this.authorise = new AuthoriseCallUseCase(this.evaluator, new CallCounters(redis), redis, { leaseMs: 30_000 });
    bus.on(
      ['policy', 'tenant', 'device'],
      (msg) => this.cache.drop(msg.tenantId),
      () => this.cache.drop(null),
    );
  }

  /** After a policy change: this process forgets at once, every other one on the message. */
  async changed(
    tenantId: string,
    id: string | null = null,
    kinds: readonly InvalidationKind[] = ['policy'],
  ): Promise<void> {
    // After the commit: dropped earlier, the cache could reload the rows about to change.
    await afterCommit(async () => {
      this.cache.drop(tenantId);
      for (const kind of kinds) await this.invalidation.publish(kind, tenantId, id);
    });
  }
}
