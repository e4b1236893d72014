import Redis, { RedisOptions } from 'ioredis';

/**
 * A command client. Auto-pipelining batches commands issued in the same tick into one round
 * trip, which is what keeps a per-request deny-list lookup cheap under load.
 * Producers fail fast (maxRetriesPerRequest) instead of queueing forever while Redis is down.
 */
export function createRedis(url: string, name: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    connectionName: name,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 2,
    lazyConnect: false,
    ...extra,
  });
}

/** A connection for BullMQ workers and subscribers: blocking commands must not time out. */
export function createBlockingRedis(url: string, name: string): Redis {
  return new Redis(url, { connectionName: name, maxRetriesPerRequest: null, enableReadyCheck: true });
}
