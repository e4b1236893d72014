import type { Provider } from '@nestjs/common';
import {
  AuthoriseCallUseCase,
  CachedAccountDirectory,
  CachedTrunkDirectory,
  DEFAULT_BAN_POLICY,
  DigestAuthenticator,
  NonceCodec,
  PlaceCallUseCase,
  RedisFailureCounter,
  RedisLocationStore,
  RedisNcStore,
  RegisterUseCase,
  RegistrarEnforcer,
  ScreenRequestUseCase,
  type BanPolicy,
} from '@pbx/call-control';
import { parseLiveRegistration } from '@pbx/common';
import {
  AuditLogRepository,
  BansRepository,
  DevicesRepository,
  ExtensionsRepository,
  PolicyRepository,
  PolicyRulesRepository,
  TenantsRepository,
} from '@pbx/database';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { SIP_CONFIG, type SipConfig } from '../config/sip-config';
import { SIP_LOGGER, SIP_METRICS, SIP_REDIS } from '../sip.tokens';
import { SipMetrics } from './sip-metrics';

export const BAN_POLICY = Symbol('BAN_POLICY');

/** The registrar's use cases and the Postgres/Redis stores behind them, built once from config. */
export const registrarProviders: Provider[] = [
  { provide: SipMetrics, useFactory: (r: Registry) => new SipMetrics(r), inject: [SIP_METRICS] },
  {
    provide: BAN_POLICY,
    useFactory: (c: SipConfig): BanPolicy => ({
      ...DEFAULT_BAN_POLICY,
      ipFailures: c.SIP_AUTH_FAIL_IP_THRESHOLD,
      deviceFailures: c.SIP_AUTH_FAIL_DEVICE_THRESHOLD,
      baseBanMs: c.SIP_BAN_BASE_SECONDS * 1000,
    }),
    inject: [SIP_CONFIG],
  },
  {
    provide: CachedAccountDirectory,
    useFactory: (
      c: SipConfig,
      tenants: TenantsRepository,
      devices: DevicesRepository,
      extensions: ExtensionsRepository,
      rules: PolicyRulesRepository,
      bans: BansRepository,
    ) =>
      new CachedAccountDirectory(
        { tenants, devices, extensions, rules, bans },
        { ttlMs: c.SIP_ACCOUNT_CACHE_TTL_MS, maxEntries: 200_000 },
      ),
    inject: [SIP_CONFIG, TenantsRepository, DevicesRepository, ExtensionsRepository, PolicyRulesRepository, BansRepository],
  },
  {
    provide: RedisLocationStore,
    useFactory: (redis: Redis) => new RedisLocationStore(redis, parseLiveRegistration),
    inject: [SIP_REDIS],
  },
  {
    provide: RegistrarEnforcer,
    useFactory: (
      c: SipConfig,
      redis: Redis,
      bans: BansRepository,
      policies: PolicyRepository,
      auditLog: AuditLogRepository,
      banPolicy: BanPolicy,
      logger: Logger,
    ) =>
      new RegistrarEnforcer({
        redis,
        bans,
        policies,
        auditLog,
        auditKey: c.AUDIT_HMAC_KEY,
        banPolicy,
        allowLoopbackBans: c.BANS_ALLOW_LOOPBACK,
        logger,
      }),
    inject: [SIP_CONFIG, SIP_REDIS, BansRepository, PolicyRepository, AuditLogRepository, BAN_POLICY, SIP_LOGGER],
  },
  {
    provide: DigestAuthenticator,
    useFactory: (c: SipConfig, redis: Redis, locations: RedisLocationStore, enforcer: RegistrarEnforcer, banPolicy: BanPolicy) =>
      new DigestAuthenticator(
        // Derived from the drachtio secret every instance on this edge shares (see NonceCodec).
        new NonceCodec(c.DRACHTIO_SECRET, c.SIP_NONCE_TTL_SECONDS * 1000),
        new RedisNcStore(redis),
        new RedisFailureCounter(redis, banPolicy.windowMs),
        locations,
        enforcer,
        banPolicy,
      ),
    inject: [SIP_CONFIG, SIP_REDIS, RedisLocationStore, RegistrarEnforcer, BAN_POLICY],
  },
  {
    provide: RegisterUseCase,
    useFactory: (
      c: SipConfig,
      directory: CachedAccountDirectory,
      locations: RedisLocationStore,
      digest: DigestAuthenticator,
      enforcer: RegistrarEnforcer,
    ) =>
      new RegisterUseCase(directory, locations, digest, enforcer, {
        expires: { min: c.SIP_REGISTER_MIN_EXPIRES, max: c.SIP_REGISTER_MAX_EXPIRES, default: c.SIP_REGISTER_DEFAULT_EXPIRES },
      }),
    inject: [SIP_CONFIG, CachedAccountDirectory, RedisLocationStore, DigestAuthenticator, RegistrarEnforcer],
  },
  {
    provide: ScreenRequestUseCase,
    useFactory: (locations: RedisLocationStore, enforcer: RegistrarEnforcer) => new ScreenRequestUseCase(locations, enforcer),
    inject: [RedisLocationStore, RegistrarEnforcer],
  },
  {
    provide: PlaceCallUseCase,
    useFactory: (
      directory: CachedAccountDirectory,
      locations: RedisLocationStore,
      digest: DigestAuthenticator,
      trunks: CachedTrunkDirectory,
      authorise: AuthoriseCallUseCase,
    ) => new PlaceCallUseCase(directory, locations, digest, trunks, authorise),
    inject: [CachedAccountDirectory, RedisLocationStore, DigestAuthenticator, CachedTrunkDirectory, AuthoriseCallUseCase],
  },
];
