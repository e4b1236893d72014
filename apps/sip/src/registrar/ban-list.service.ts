import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BanList } from '@pbx/common';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { SIP_LOGGER, SIP_REDIS } from '../sip.tokens';

/**
 * The platform ban list in the app: behind the embedded edge a banned source never gets here (the edge
 * drops it before parsing); in front of drachtio-server, which has no drop list, the app drops it.
 */
@Injectable()
export class BanListService implements OnApplicationBootstrap, OnApplicationShutdown {
  private list?: BanList;

  constructor(
    @Inject(SIP_REDIS) private readonly redis: Redis,
    @Inject(SIP_LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.list = await BanList.start(this.redis, { logger: this.logger });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.list?.close();
  }

  has(ip: string): boolean {
    return this.list?.has(ip) ?? false;
  }
}
