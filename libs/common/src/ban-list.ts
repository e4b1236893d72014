import { isIP } from 'node:net';
import { createLogger, type Logger } from './logger';
import { parseBanUpdate } from './bans';
import { RedisChannels, RedisKeys } from './redis-keys';
import type { Redis } from 'ioredis';

export interface BanListOptions {
  /** Redis SET holding every banned IP; default `pbx:bans:ips`. */
  key?: string;
  /** Pub/sub channel carrying `{"op":"add"|"remove","ip":"..."}`; default `pbx:bans`. */
  channel?: string;
  logger?: Logger;
}

function normalize(ip: string): string {
  return ip.startsWith('::ffff:') && ip.indexOf('.') > 0 ? ip.slice(7) : ip.toLowerCase();
}

/**
 * The platform's banned source IPs in memory: loaded from a Redis SET at start and kept current by
 * pub/sub, so a `has()` check is a Set lookup. The edge checks it before a byte is parsed (its drop
 * list); the SIP app checks it too, for when drachtio-server, which has no drop list, is in front.
 */
export class BanList {
  private readonly ips = new Set<string>();
  private readonly key: string;
  private readonly channel: string;
  private readonly logger: Logger;
  private subscriber?: Redis;

  private constructor(
    private readonly redis: Redis,
    opts: BanListOptions,
  ) {
    this.key = opts.key ?? RedisKeys.bannedIps;
    this.channel = opts.channel ?? RedisChannels.bans;
    this.logger = opts.logger ?? createLogger('ban-list');
  }

  /** Subscribes first and then loads the SET, so no update published in between is lost. */
  static async start(redis: Redis, opts: BanListOptions = {}): Promise<BanList> {
    const list = new BanList(redis, opts);
    const sub = redis.duplicate();
    list.subscriber = sub;
    sub.on('error', (err) => list.logger.warn({ err }, 'drop list subscriber error'));
    sub.on('message', (channel: string, message: string) => {
      if (channel === list.channel) list.apply(message);
    });
    await sub.subscribe(list.channel);
    await list.reload();
    // After a reconnect ioredis re-subscribes by itself, but updates sent meanwhile are lost: reload.
    sub.on(
      'ready',
      () => void list.reload().catch((err: unknown) => list.logger.warn({ err }, 'drop list reload failed')),
    );
    return list;
  }

  has(ip: string): boolean {
    return this.ips.size > 0 && this.ips.has(normalize(ip));
  }

  get size(): number {
    return this.ips.size;
  }

  /** Changes only this process's copy; bans meant for every edge go through Redis. */
  add(ip: string): void {
    this.ips.add(normalize(ip));
  }

  remove(ip: string): void {
    this.ips.delete(normalize(ip));
  }

  async reload(): Promise<void> {
    const members = await this.redis.smembers(this.key);
    this.ips.clear();
    for (const ip of members) if (isIP(ip) !== 0) this.ips.add(normalize(ip));
    this.logger.info({ count: this.ips.size }, 'drop list loaded');
  }

  async close(): Promise<void> {
    const sub = this.subscriber;
    this.subscriber = undefined;
    if (sub) {
      sub.removeAllListeners('ready');
      await sub.quit().catch(() => sub.disconnect());
    }
  }

  private apply(message: string): void {
    const update = parseBanUpdate(message);
    if (!update) {
      this.logger.warn({ message: message.slice(0, 200) }, 'ignoring malformed ban update');
      return;
    }
    if (update.op === 'add') this.add(update.ip);
    else this.remove(update.ip);
    this.logger.info({ op: update.op, ip: update.ip }, 'drop list updated');
  }
}
