import type { Provider } from '@nestjs/common';
import { CachedTrunkDirectory, TrunkChannels } from '@pbx/call-control';
import { parseKeyring } from '@pbx/common';
import {
  DidsRepository,
  ExtensionsRepository,
  OutboundRoutesRepository,
  TrunksRepository,
} from '@pbx/database';
import type Srf from 'drachtio-srf';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { SIP_CONFIG, type SipConfig } from '../config/sip-config';
import { SIP_LOGGER, SIP_METRICS, SIP_REDIS, SRF } from '../sip.tokens';
import { TrunkDialer } from './trunk-dialer';
import { TrunkRegistrarService } from './trunk-registrar.service';

/** Trunks, routes and DIDs for calls to and from carriers. */
export const trunkProviders: Provider[] = [
  {
    provide: CachedTrunkDirectory,
    useFactory: (
      c: SipConfig,
      trunks: TrunksRepository,
      dids: DidsRepository,
      routes: OutboundRoutesRepository,
      extensions: ExtensionsRepository,
    ) =>
      new CachedTrunkDirectory(
        { trunks, dids, routes, extensions },
        { ttlMs: c.SIP_ACCOUNT_CACHE_TTL_MS, maxEntries: 50_000 },
      ),
    inject: [SIP_CONFIG, TrunksRepository, DidsRepository, OutboundRoutesRepository, ExtensionsRepository],
  },
  { provide: TrunkChannels, useFactory: (redis: Redis) => new TrunkChannels(redis), inject: [SIP_REDIS] },
  {
    provide: TrunkDialer,
    useFactory: (
      c: SipConfig,
      srf: Srf,
      trunks: TrunksRepository,
      channels: TrunkChannels,
      logger: Logger,
      registry: Registry,
    ) =>
      new TrunkDialer({
        srf,
        trunks,
        channels,
        keyring: c.SECRETS_KEKS ? parseKeyring(c.SECRETS_KEKS) : null,
        logger,
        registry,
      }),
    inject: [SIP_CONFIG, SRF, TrunksRepository, TrunkChannels, SIP_LOGGER, SIP_METRICS],
  },

  TrunkRegistrarService,
];
