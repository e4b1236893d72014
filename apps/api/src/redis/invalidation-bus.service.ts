import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { InvalidationKind, InvalidationMessage } from '@pbx/common';
import { InvalidationSubscriber } from '@pbx/common/invalidation-subscriber';
import type { Logger } from 'pino';
import { API_CONFIG, ApiConfig } from '../config/api-config';
import { APP_LOGGER } from '../logging';

type Listener = (msg: InvalidationMessage) => void;

const KINDS: readonly InvalidationKind[] = [
  'credentials',
  'device',
  'policy',
  'ban',
  'tenant',
  'trunk',
  'route',
  'user',
];

/**
 * One subscription to `pbx:invalidate` for the whole API process, shared by every cache in it
 * (a subscribed Redis connection can do nothing else, so one per cache would be one too many).
 */
@Injectable()
export class InvalidationBus implements OnModuleInit, OnModuleDestroy {
  private readonly listeners = new Map<InvalidationKind, Listener[]>();
  private readonly resyncs: Array<() => void> = [];
  private subscriber: InvalidationSubscriber | undefined;

  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  /** Calls `listener` for messages of these kinds, and `resync` after a reconnect (messages may have been lost). */
  on(kinds: readonly InvalidationKind[], listener: Listener, resync: () => void): void {
    for (const kind of kinds) this.listeners.set(kind, [...(this.listeners.get(kind) ?? []), listener]);
    this.resyncs.push(resync);
  }

  async onModuleInit(): Promise<void> {
    const dispatch = (msg: InvalidationMessage) => {
      for (const listener of this.listeners.get(msg.kind) ?? []) listener(msg);
    };
    this.subscriber = await InvalidationSubscriber.start({
      redisUrl: this.config.REDIS_URL,
      connectionName: 'pbx-api-invalidate',
      handlers: Object.fromEntries(KINDS.map((k) => [k, dispatch])),
      onResync: () => this.resyncs.forEach((fn) => fn()),
      logger: this.logger,
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscriber?.close();
  }
}
