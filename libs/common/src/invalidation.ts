import type Redis from 'ioredis';
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
