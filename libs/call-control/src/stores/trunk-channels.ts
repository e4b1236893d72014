import { REDIS_PREFIX } from '@pbx/common';
import type Redis from 'ioredis';

/** ZSET member → lease expiry (ms) of each call holding a channel of a trunk. */
export const trunkChannelsKey = (trunkId: string): string => `${REDIS_PREFIX}trunk:channels:${trunkId}`;

// Check and take in one step, so simultaneous calls cannot all pass the limit; lapsed leases (a
// process that died mid-call) are swept first, so a crash cannot hold a channel for good.
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if not redis.call('ZSCORE', KEYS[1], ARGV[4]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1`;

type WithAcquire = Redis & {
  pbxTrunkChannel(key: string, now: number, expiresAt: number, max: number, member: string): Promise<number>;
};

/** A held channel; renewed while held, gone within one lease when its holder dies. */
export interface ChannelLease {
  release(): Promise<void>;
}

/** Channels in use per trunk, shared by every SIP app instance, bounded by the trunk's max_channels. */
export class TrunkChannels {
  private readonly redis: WithAcquire;

  constructor(
    redis: Redis,
    private readonly leaseMs = 90_000,
  ) {
    redis.defineCommand('pbxTrunkChannel', { numberOfKeys: 1, lua: ACQUIRE });
    this.redis = redis as WithAcquire;
  }

  /** Takes a channel for `callId`, or null when the trunk is full. A trunk without a limit always has one. */
  async acquire(trunkId: string, maxChannels: number | null, callId: string): Promise<ChannelLease | null> {
    if (maxChannels === null) return { release: async () => undefined };
    const key = trunkChannelsKey(trunkId);
    const take = (max: number) => {
      const now = Date.now();
      return this.redis.pbxTrunkChannel(key, now, now + this.leaseMs, max, callId);
    };
    if ((await take(maxChannels)) !== 1) return null;
    // Renewal never refuses: a call that holds a channel keeps it even if the limit was lowered.
    const timer = setInterval(
      () => void take(Number.MAX_SAFE_INTEGER).catch(() => undefined),
      this.leaseMs / 3,
    );
    timer.unref();
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(timer);
        await this.redis.zrem(key, callId);
      },
    };
  }

  inUse(trunkId: string): Promise<number> {
    return this.redis.zcount(trunkChannelsKey(trunkId), Date.now(), '+inf');
  }
}
