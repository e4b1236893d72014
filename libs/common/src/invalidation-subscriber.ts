import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { parseInvalidation } from './invalidation';
import { createBlockingRedis } from './redis';
import { InvalidationKind, InvalidationMessage, RedisChannels } from './redis-keys';

export type InvalidationHandler = (msg: InvalidationMessage) => void | Promise<void>;

export interface InvalidationSubscriberOptions {
  redisUrl: string;
  /** Shown in CLIENT LIST, e.g. `pbx-sip-invalidate`. */
  connectionName: string;
  handlers: Partial<Record<InvalidationKind, InvalidationHandler>>;
  /**
   * Called after a reconnect. Pub/sub keeps nothing, so whatever was published while the
   * connection was down is lost: drop every cache here rather than serve stale config.
   */
  onResync?: () => void | Promise<void>;
  logger: Pick<Logger, 'warn' | 'error' | 'info'>;
}

/**
 * Listens on RedisChannels.invalidate over a connection of its own (a subscribed connection can
 * run no other command) and hands each message to the handler for its kind. Malformed messages
 * and kinds without a handler are ignored; a handler that throws is logged and does not stop the
 * others. ioredis re-subscribes by itself after a reconnect; onResync covers the gap.
 */
export class InvalidationSubscriber {
  private connectedOnce = false;

  private constructor(
    private readonly redis: Redis,
    private readonly opts: InvalidationSubscriberOptions,
  ) {}

  static async start(opts: InvalidationSubscriberOptions): Promise<InvalidationSubscriber> {
    const redis = createBlockingRedis(opts.redisUrl, opts.connectionName);
    const sub = new InvalidationSubscriber(redis, opts);
    redis.on('error', (err: unknown) =>
      opts.logger.warn({ err }, 'invalidation subscriber connection error'),
    );
    redis.on('message', (channel: string, raw: string) => {
      if (channel === RedisChannels.invalidate) void sub.dispatch(raw);
    });
    redis.on('ready', () => sub.onReady());
    try {
      await redis.subscribe(RedisChannels.invalidate);
    } catch (err) {
      redis.disconnect();
      throw err;
    }
    return sub;
  }

  async close(): Promise<void> {
    this.redis.removeAllListeners('ready');
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private onReady(): void {
    if (!this.connectedOnce) {
      this.connectedOnce = true;
      return;
    }
    this.opts.logger.info('invalidation subscriber reconnected; resyncing');
    void this.run(() => this.opts.onResync?.(), 'resync');
  }

  private async dispatch(raw: string): Promise<void> {
    const msg = parseInvalidation(raw);
    if (!msg) {
      this.opts.logger.warn({ message: raw.slice(0, 200) }, 'ignoring malformed invalidation message');
      return;
    }
    const handler = this.opts.handlers[msg.kind];
    if (handler) await this.run(() => handler(msg), msg.kind);
  }

  private async run(fn: () => void | Promise<void>, what: string): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.opts.logger.error({ err, what }, 'invalidation handler failed');
    }
  }
}
