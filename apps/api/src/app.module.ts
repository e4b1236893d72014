import { DynamicModule, Global, Module } from '@nestjs/common';
import { DatabaseModule } from '@pbx/database';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { API_CONFIG, ApiConfig } from './config/api-config';
import { HealthModule } from './health/health.module';
import { METRICS_REGISTRY } from './health/metrics';
import { APP_LOGGER } from './logging';
import { RedisModule } from './redis/redis.module';
import { TenantsModule } from './tenants/tenants.module';
import { UsersModule } from './users/users.module';
import { ExtensionsModule } from './extensions/extensions.module';
import { DevicesModule } from './devices/devices.module';
import { TrunksModule } from './trunks/trunks.module';
import { PolicyModule } from './policy/policy.module';
import { CdrsModule } from './cdrs/cdrs.module';
import { AlertsModule } from './alerts/alerts.module';
import { FraudModule } from './fraud/fraud.module';
import { BansModule } from './bans/bans.module';
import { LiveModule } from './live/live.module';
import { NumbersModule } from './numbers/numbers.module';
import { AuditLogModule } from './audit/audit-log.module';

@Global()
@Module({})
class CoreModule {
  static forRoot(config: ApiConfig, logger: Logger, registry: Registry): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: API_CONFIG, useValue: config },
        { provide: APP_LOGGER, useValue: logger },
        { provide: METRICS_REGISTRY, useValue: registry },
      ],
      exports: [API_CONFIG, APP_LOGGER, METRICS_REGISTRY],
    };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: ApiConfig, logger: Logger, registry: Registry): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config, logger, registry),
        DatabaseModule.forRoot({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE, applicationName: 'pbx-api' }),
        RedisModule,
        AuditModule,
        AuthModule,
        UsersModule,
        TenantsModule,
        AuditLogModule,
        ExtensionsModule,
        DevicesModule,
        TrunksModule,
        NumbersModule,
        PolicyModule,
        CdrsModule,
        AlertsModule,
        FraudModule,
        BansModule,
        LiveModule,
        HealthModule,
      ],
    };
  }
}
