import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { banIp, RedisKeys, unbanIp } from '@pbx/common';
import { BansRepository } from '@pbx/database';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { APP_LOGGER } from '../logging';
import { InvalidationService } from '../redis/invalidation.service';
import { REDIS } from '../redis/redis.module';

/** How late, at most, the edge stops dropping an address whose platform ban expired (nobody reading it). */
export const BAN_SWEEP_INTERVAL_MS = 15_000;
const SCAN_BATCH = 500;

/**
 * Keeps the SIP edge's drop list (RedisKeys.bannedIps) in line with the platform-wide bans in Postgres.
 *
 * Expiry has no event, so every API instance sweeps: it walks the SET and removes addresses whose
 * platform bans have all ended, then adds any active platform ban missing from it (a ban whose SADD
 * failed, or one written by the SIP app's scanner while Redis was away). This needs no leader: SADD
 * and SREM are idempotent, doing either twice is harmless, and an address with no platform ban row
 * at all (put there by hand or by a test) is left alone.
 * Reads also sweep the expired bans they show, so an operator never sees "expired" for an address
 * the edge is still dropping.
 */
@Injectable()
export class DropListSync implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<string[]>;
  private queued?: Promise<string[]>;

  constructor(
    private readonly bans: BansRepository,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_LOGGER) private readonly logger: Logger,
    private readonly invalidation: InvalidationService,
  ) {}

  onApplicationBootstrap(): void {
    // unref: the sweeper never keeps the process alive; graceful shutdown clears it anyway.
    this.timer = setInterval(
      () => void this.sweepAll().catch((err) => this.warn(err)),
      BAN_SWEEP_INTERVAL_MS,
    );
    this.timer.unref();
    void this.sweepAll().catch((err) => this.warn(err));
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Puts an address on the drop list if a platform ban on it is active, and takes it off otherwise. */
  async reconcile(ip: string): Promise<void> {
    if (await this.isActive(ip)) {
      await banIp(this.redis, ip);
      return;
    }
    await unbanIp(this.redis, ip);
    await this.restoreIfBannedMeanwhile(ip);
  }

  /**
   * One pass over the whole SET and the active platform bans; returns the addresses it removed.
   * Passes never overlap: a call during a pass gets the next pass, which starts after it (and so
   * sees every change made before the call). At most one pass waits.
   */
  sweepAll(): Promise<string[]> {
    if (this.running) {
      this.queued ??= this.running
        .catch(() => [])
        .then(() => {
          this.queued = undefined;
          return this.sweepAll();
        });
      return this.queued;
    }
    this.running = this.scanAndSweep().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Removes those of `ips` that are on the drop list although no platform ban on them is active. */
  async sweep(ips: readonly string[]): Promise<string[]> {
    const unique = [...new Set(ips)];
    if (unique.length === 0) return [];
    const member = await this.redis.smismember(RedisKeys.bannedIps, ...unique);
    const listed = unique.filter((_, i) => member[i] === 1);
    if (listed.length === 0) return [];
    const states = await this.bans.platformBanStates(listed);
    const stale = listed.filter((ip) => states.get(ip) === false);
    for (const ip of stale) {
      await unbanIp(this.redis, ip);
      await this.restoreIfBannedMeanwhile(ip);
    }
    if (stale.length) {
      this.logger.info({ count: stale.length }, 'expired platform bans removed from the SIP edge drop list');
      await this.invalidation.publish('ban', null, null);
    }
    return stale;
  }

  private async scanAndSweep(): Promise<string[]> {
    const removed: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.sscan(RedisKeys.bannedIps, cursor, 'COUNT', SCAN_BATCH);
      cursor = next;
      removed.push(...(await this.sweep(batch)));
    } while (cursor !== '0');
    await this.restoreMissing();
    return removed;
  }

  private async restoreMissing(): Promise<void> {
    const active = await this.bans.activePlatformIps();
    for (let i = 0; i < active.length; i += SCAN_BATCH) {
      const batch = active.slice(i, i + SCAN_BATCH);
      const member = await this.redis.smismember(RedisKeys.bannedIps, ...batch);
      const missing = batch.filter((_, j) => member[j] !== 1);
      for (const ip of missing) await banIp(this.redis, ip);
      if (missing.length)
        this.logger.warn({ count: missing.length }, 'active platform bans restored to the drop list');
    }
  }

  /** A ban created between our read of Postgres and the SREM must not end up unenforced. */
  private async restoreIfBannedMeanwhile(ip: string): Promise<void> {
    if (await this.isActive(ip)) await banIp(this.redis, ip);
  }

  private async isActive(ip: string): Promise<boolean> {
    return (await this.bans.platformBanStates([ip])).get(ip) === true;
  }

  private warn(err: unknown): void {
    this.logger.warn({ err }, 'drop list sweep failed; retrying on the next interval');
  }
}
