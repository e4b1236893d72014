import { REDIS_PREFIX } from '@pbx/common';
import type Redis from 'ioredis';
import type { FailureCounter, NcStore } from '../register/register.ports';

const NC_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if cur and tonumber(cur) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
return 1`;

/** Highest nc seen per nonce, kept until the nonce expires; one atomic script per check. */
export class RedisNcStore implements NcStore {
  constructor(private readonly redis: Redis) {
    redis.defineCommand('pbxAcceptNc', { numberOfKeys: 1, lua: NC_SCRIPT });
  }

  async accept(nonce: string, nc: number, nonceExpiresAt: number): Promise<boolean> {
    const run = (this.redis as unknown as { pbxAcceptNc(k: string, nc: number, exp: number): Promise<number> }).pbxAcceptNc;
    // Keep the record a little past the nonce's expiry: a stale nonce is still answered, never reused.
    return (await run.call(this.redis, `${REDIS_PREFIX}nc:${nonce}`, nc, nonceExpiresAt + 60_000)) === 1;
  }
}

/** Failed digests per source IP and per device in a window that starts at the first failure. */
export class RedisFailureCounter implements FailureCounter {
  constructor(
    private readonly redis: Redis,
    private readonly windowMs: number,
  ) {}

  async record(ip: string, deviceId: string | undefined, _now: number): Promise<{ ip: number; device?: number }> {
    const tx = this.redis.multi();
    const ipKey = `${REDIS_PREFIX}authfail:ip:${ip}`;
    tx.incr(ipKey).pexpire(ipKey, this.windowMs, 'NX');
    if (deviceId) {
      const devKey = `${REDIS_PREFIX}authfail:dev:${deviceId}`;
      tx.incr(devKey).pexpire(devKey, this.windowMs, 'NX');
    }
    const res = (await tx.exec()) ?? [];
    const n = (i: number) => Number(res[i]?.[1] ?? 0);
    return deviceId ? { ip: n(0), device: n(2) } : { ip: n(0) };
  }
}
