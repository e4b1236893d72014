import type Redis from 'ioredis';

// Take the lock when free, or keep it when we hold it; never steal it from a live holder.
const TAKE = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;
const GIVE_BACK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

type WithLock = Redis & {
  pbxLockTake(key: string, owner: string, ttlMs: number): Promise<number>;
  pbxLockGiveBack(key: string, owner: string): Promise<number>;
};

/**
 * A lock one process of many holds while it keeps renewing it (e.g. the app instance that registers
 * a trunk upstream); when that process dies, the lock lapses after `ttlMs` and another one takes it.
 */
export class RedisLock {
  private readonly redis: WithLock;

  constructor(redis: Redis) {
    redis.defineCommand('pbxLockTake', { numberOfKeys: 1, lua: TAKE });
    redis.defineCommand('pbxLockGiveBack', { numberOfKeys: 1, lua: GIVE_BACK });
    this.redis = redis as WithLock;
  }

  /** Takes or renews the lock; false while another owner holds it. */
  async hold(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.pbxLockTake(key, owner, ttlMs)) === 1;
  }

  async release(key: string, owner: string): Promise<void> {
    await this.redis.pbxLockGiveBack(key, owner);
  }
}
