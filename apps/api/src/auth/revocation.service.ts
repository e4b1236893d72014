import { Inject, Injectable } from '@nestjs/common';
import { deniedSessionKey, deniedTokenKey } from '@pbx/common';
import type Redis from 'ioredis';
import { API_CONFIG, ApiConfig } from '../config/api-config';
import { REDIS } from '../redis/redis.module';

/**
 * Access tokens are stateless until they are revoked: logout puts the token's jti on a deny-list,
 * and revoking a session (logout, refresh-token theft, deactivation, role change) puts its sid
 * there, each until the last token it could cover has expired. Checked on every request with one
 * MGET, auto-pipelined with the other requests of the same tick.
 */
@Injectable()
export class RevocationService {
  private readonly prefix: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {
    this.prefix = config.REDIS_KEY_PREFIX;
  }

  async denyToken(jti: string, exp: number): Promise<void> {
    const ttl = Math.max(1, exp - Math.floor(Date.now() / 1000) + this.config.JWT_CLOCK_TOLERANCE_SECONDS);
    await this.redis.set(deniedTokenKey(this.prefix, jti), '1', 'EX', ttl);
  }

  async denySessions(sids: string[]): Promise<void> {
    if (sids.length === 0) return;
    const ttl = this.config.JWT_ACCESS_TTL_SECONDS + this.config.JWT_CLOCK_TOLERANCE_SECONDS;
    const multi = this.redis.multi();
    for (const sid of sids) multi.set(deniedSessionKey(this.prefix, sid), '1', 'EX', ttl);
    await multi.exec();
  }

  /** Takes sessions off the deny-list (undo of a fraud revocation; their refresh tokens live again). */
  async allowSessions(sids: string[]): Promise<void> {
    if (sids.length) await this.redis.del(...sids.map((sid) => deniedSessionKey(this.prefix, sid)));
  }

  async isRevoked(jti: string, sid: string): Promise<boolean> {
    const [a, b] = await this.redis.mget(deniedTokenKey(this.prefix, jti), deniedSessionKey(this.prefix, sid));
    return a !== null || b !== null;
  }
}
