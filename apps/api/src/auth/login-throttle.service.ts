import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { createHash } from 'node:crypto';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { API_CONFIG, ApiConfig } from '../config/api-config';
import { REDIS } from '../redis/redis.module';

export class TooManyAttemptsException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    const message = `Too many login attempts. Please try again in ${retryAfterSeconds} seconds.`;
    super({ message, errors: { email: [message] } }, HttpStatus.TOO_MANY_REQUESTS);
  }
}

function emailKey(email: string): string {
  return createHash('sha256').update(email).digest('hex').slice(0, 32);
}

/**
 * Login throttling held in Redis, so every API instance shares it: per source IP, per account,
 * and a lockout counter for emails that match no user, so that an unknown email locks exactly
 * like a real one and lockout can't be used to enumerate accounts.
 */
@Injectable()
export class LoginThrottleService {
  private readonly perIp: RateLimiterRedis;
  private readonly perAccount: RateLimiterRedis;
  private readonly prefix: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {
    const prefix = `${config.REDIS_KEY_PREFIX}auth:login`;
    this.prefix = prefix;
    this.perIp = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${prefix}:ip`,
      points: config.LOGIN_RATE_PER_IP,
      duration: config.LOGIN_RATE_WINDOW_SECONDS,
    });
    this.perAccount = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${prefix}:acct`,
      points: config.LOGIN_RATE_PER_ACCOUNT,
      duration: config.LOGIN_RATE_WINDOW_SECONDS,
    });
  }

  /** Counts an attempt against the IP and account limits; throws 429 when either is spent. */
  async consumeAttempt(ip: string | null, email: string): Promise<void> {
    try {
      await Promise.all([this.perIp.consume(ip ?? 'unknown'), this.perAccount.consume(emailKey(email))]);
    } catch (res) {
      if (res instanceof RateLimiterRes) throw new TooManyAttemptsException(Math.max(1, Math.ceil(res.msBeforeNext / 1000)));
      throw res;
    }
  }

  /** Seconds an unknown email stays "locked", or 0: the same rule and timing as a real account's lock. */
  async unknownEmailLockedFor(email: string): Promise<number> {
    const ttl = await this.redis.ttl(`${this.prefix}:unknown:lock:${emailKey(email)}`);
    return ttl > 0 ? ttl : 0;
  }

  async recordUnknownEmailFailure(email: string): Promise<void> {
    const key = emailKey(email);
    const countKey = `${this.prefix}:unknown:count:${key}`;
    const [[, count]] = (await this.redis.multi().incr(countKey).expire(countKey, 86_400).exec()) as [[null, number]];
    if (count >= this.config.LOGIN_MAX_FAILURES) {
      await this.redis
        .multi()
        .set(`${this.prefix}:unknown:lock:${key}`, '1', 'EX', this.config.LOGIN_LOCKOUT_SECONDS)
        .del(countKey)
        .exec();
    }
  }
}
