import type Redis from 'ioredis';
import { Counter, type Registry } from 'prom-client';
import { InvalidationKind, InvalidationMessage, RedisChannels } from './redis-keys';

/**
 * Tells every running SIP process that cached configuration changed, so it drops that cache
 * entry within a second. Publishing is fire-and-forget by nature (pub/sub keeps nothing), so
 * subscribers also expire their caches on a short TTL as a backstop.
 */
export async function publishInvalidation(
  redis: Redis,
  kind: InvalidationKind,
  tenantId: string | null,
  id: string | null = null,
): Promise<void> {
  const msg: InvalidationMessage = { kind, tenantId, id, at: Date.now() };
  await redis.publish(RedisChannels.invalidate, JSON.stringify(msg));
}

export function parseInvalidation(raw: string): InvalidationMessage | null {
  try {
    const m = JSON.parse(raw) as Partial<InvalidationMessage>;
    if (typeof m.kind !== 'string' || typeof m.at !== 'number') return null;
    return { kind: m.kind, tenantId: m.tenantId ?? null, id: m.id ?? null, at: m.at };
  } catch {
    return null;
  }
}

export interface InvalidationPublisherOptions {
  logger: { error(obj: object, msg: string): void };
  /** Where `pbx_invalidation_publish_failures_total` is registered; the app's /metrics registry. */
  registry?: Registry;
}

/**
 * The one way any process announces a cache invalidation, with one error policy: a failed publish
 * is logged and counted, never thrown. By then the change is committed, and failing the caller
 * would not undo it; the subscribers' caches expire on their own short TTL as the backstop.
 */
export class InvalidationPublisher {
  private readonly failures: Counter<'kind'>;

  constructor(
    private readonly redis: Redis,
    private readonly opts: InvalidationPublisherOptions,
  ) {
    this.failures = new Counter({
      name: 'pbx_invalidation_publish_failures_total',
      help: 'Cache invalidation messages that could not be published (caches fall back to their TTL)',
      labelNames: ['kind'],
      registers: opts.registry ? [opts.registry] : [],
    });
  }

  async publish(kind: InvalidationKind, tenantId: string | null, id: string | null = null): Promise<void> {
    try {
      await publishInvalidation(this.redis, kind, tenantId, id);
    } catch (err) {
      this.failures.inc({ kind });
      this.opts.logger.error({ err, kind, tenantId, id }, 'invalidation publish failed');
    }
  }

  async failedCount(): Promise<number> {
    const metric = await this.failures.get();
    return metric.values.reduce((sum, v) => sum + v.value, 0);
  }
}
