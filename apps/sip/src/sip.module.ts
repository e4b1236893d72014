import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { createRedis } from '@pbx/common';
import { DatabaseModule } from '@pbx/database';
import Srf from 'drachtio-srf';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { SIP_CONFIG, SipConfig } from './config/sip-config';
import { DrachtioConnectionService } from './drachtio/drachtio-connection.service';
import { CallEventsPublisher } from './call/call-events.publisher';
import { callGateProviders } from './call/call-gate.providers';
import { CallJournal } from './call/call-journal';
import { SipCommandsService } from './call/sip-commands.service';
import { CallRegistry } from './call/call-registry';
import { trunkProviders } from './call/trunk.providers';
import { MediaSessions } from './call/media-sessions';
import { RtpengineService } from './call/rtpengine.service';
import { ErrorMiddleware } from './middleware/error.middleware';
import { InviteMiddleware } from './middleware/invite.middleware';
import { OptionsMiddleware } from './middleware/options.middleware';
import { RegisterMiddleware } from './middleware/register.middleware';
import { ScreeningMiddleware } from './middleware/screening.middleware';
import { AccountInvalidationService } from './registrar/account-invalidation.service';
import { BanListService } from './registrar/ban-list.service';
import { FloodWatchService } from './registrar/flood-watch.service';
import { registrarProviders } from './registrar/registrar.providers';
import { SipRouter } from './sip-router';
import { SIP_LOGGER, SIP_METRICS, SIP_REDIS, SRF } from './sip.tokens';

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(SIP_REDIS) private readonly redis: Redis) {}
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** The SIP signalling app: middlewares are providers, so they get their dependencies injected. */
@Module({})
export class SipModule {
  static forRoot(config: SipConfig, logger: Logger, registry: Registry): DynamicModule {
    return {
      module: SipModule,
      imports: [DatabaseModule.forRoot({ url: config.DATABASE_URL, poolSize: 10, applicationName: 'pbx-sip' })],
      providers: [
        { provide: SIP_CONFIG, useValue: config },
        { provide: SIP_LOGGER, useValue: logger },
        { provide: SIP_METRICS, useValue: registry },
        { provide: SIP_REDIS, useFactory: () => createRedis(config.REDIS_URL, 'pbx-sip') },
        { provide: SRF, useFactory: () => new Srf() },
        RedisCloser,
        ...registrarProviders,
        ...callGateProviders,
        ...trunkProviders,
        AccountInvalidationService,
        FloodWatchService,
        BanListService,
        ScreeningMiddleware,
        RegisterMiddleware,
        CallRegistry,
        RtpengineService,
        MediaSessions,
        CallEventsPublisher,
        CallJournal,
        SipCommandsService,
        InviteMiddleware,
        OptionsMiddleware,
        ErrorMiddleware,
        SipRouter,
        DrachtioConnectionService,
      ],
    };
  }
}
