import { isIP } from 'node:net';
import { createLogger, type Logger } from '@pbx/common';
import type { Redis } from 'ioredis';
import type { DropListLike } from './transport';

export interface DropListOptions {
  /** Redis SET holding every banned IP; default `pbx:bans:ips`. */
  key?: string;
  /** Pub/sub channel carrying `{"op":"add"|"remove","ip":"..."}`; default `pbx:bans`. */
  channel?: string;
  logger?: Logger;
}

interface BanUpdate {
  op: 'add' | 'remove';
  ip: string;
}

function parseUpdate(text: string): BanUpdate | undefined {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null) return undefined;
    const { op, ip } = v as Record<string, unknown>;
    if ((op !== 'add' && op !== 'remove') || typeof ip !== 'string' || isIP(ip) === 0) return undefined;
    return { op, ip };
  } catch {
    return undefined;
  }
}

function normalize(ip: string): string {
  return ip.startsWith('::ffff:') && ip.indexOf('.') > 0 ? ip.slice(7) : ip.toLowerCase();
}

/**
 * The early drop list: banned source IPs checked by every listener before a byte is parsed. Loaded from a
 * Redis SET at start and kept current by pub/sub, so a `has()` check is an in-memory Set lookup.
 */
export class DropList implements DropListLike {
  private readonly ips = new Set<string>();
  private readonly key: string;
  private readonly channel: string;
  private readonly logger: Logger;
  private subscriber?: Redis;

  private constructor(
    private readonly redis: Redis,
    opts: DropListOptions,
  ) {
    this.key = opts.key ?? 'pbx:bans:ips';
    this.channel = opts.channel ?? 'pbx:bans';
    this.logger = opts.logger ?? createLogger('sip-edge-drop-list');
  }

  /** Subscribes first and then loads the SET, so no update published in between is lost. */
  static async start(redis: Redis, opts: DropListOptions = {}): Promise<DropList> {
    const list = new DropList(redis, opts);
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
    const update = parseUpdate(message);
    if (!update) {
      this.logger.warn({ message: message.slice(0, 200) }, 'ignoring malformed ban update');
      return;
    }
    if (update.op === 'add') this.add(update.ip);
    else this.remove(update.ip);
    this.logger.info({ op: update.op, ip: update.ip }, 'drop list updated');
  }
}
