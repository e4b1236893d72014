import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CachedAccountDirectory, CachedTrunkDirectory, PolicyCache } from '@pbx/call-control';
import { InvalidationSubscriber, type InvalidationMessage } from '@pbx/common';
import type { Logger } from 'pino';
import { SIP_CONFIG, type SipConfig } from '../config/sip-config';
import { SIP_LOGGER } from '../sip.tokens';

/** Drops cached accounts and policies when the API changes them (one Redis subscription per SIP process). */
@Injectable()
export class AccountInvalidationService implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscriber?: InvalidationSubscriber;

  constructor(
    private readonly directory: CachedAccountDirectory,
    private readonly policies: PolicyCache,
    private readonly trunks: CachedTrunkDirectory,
    @Inject(SIP_CONFIG) private readonly config: SipConfig,
    @Inject(SIP_LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const drop = (m: InvalidationMessage) => this.directory.drop(m.tenantId);
    const dropAll = (m: InvalidationMessage) => {
      this.directory.drop(m.tenantId);
      this.policies.drop(m.tenantId);
    };
    this.subscriber = await InvalidationSubscriber.start({
      redisUrl: this.config.REDIS_URL,
      connectionName: 'pbx-sip-invalidate',
      handlers: {
        credentials: drop,
        device: dropAll,
        policy: dropAll,
        ban: drop,
        tenant: (m) => (dropAll(m), this.trunks.drop(m.tenantId)),
        trunk: (m) => this.trunks.drop(m.tenantId),
        route: (m) => this.trunks.drop(m.tenantId),
      },
      onResync: () => (this.directory.drop(null), this.trunks.drop(null), this.policies.drop(null)),
      logger: this.logger,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscriber?.close();
  }
}
