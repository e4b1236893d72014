import { DynamicModule, Global, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createDataSource, DatabaseOptions } from './data-source';
import { AuditLogRepository } from './repositories/audit-log.repository';
import { RefreshTokensRepository } from './repositories/refresh-tokens.repository';
import { TenantsRepository } from './repositories/tenants.repository';
import { UsersRepository } from './repositories/users.repository';
import { PolicyRepository } from './repositories/policy.repository';
import { PolicyRulesRepository } from './repositories/policy-rules.repository';
import { ExtensionsRepository } from './repositories/extensions.repository';
import { DevicesRepository } from './repositories/devices.repository';
import { DidsRepository, OutboundRoutesRepository, TrunksRepository } from './repositories/trunks.repository';
import { NumberAssignmentsRepository } from './repositories/number-assignments.repository';
import { PersonalDataRepository } from './repositories/personal-data.repository';
import { AlertsRepository } from './repositories/alerts.repository';
import { BansRepository } from './repositories/bans.repository';
import { CdrsRepository } from './repositories/cdrs.repository';
import { FraudActionsRepository, FraudPlaybooksRepository, SpendRollupsRepository } from './repositories/fraud-response.repository';

const REPOSITORIES = [
  TenantsRepository,
  UsersRepository,
  RefreshTokensRepository,
  AuditLogRepository,
  ExtensionsRepository,
  DevicesRepository,
  TrunksRepository,
  DidsRepository,
  OutboundRoutesRepository,
  NumberAssignmentsRepository,
  PersonalDataRepository,
  PolicyRepository,
  PolicyRulesRepository,
  CdrsRepository,
  AlertsRepository,
  BansRepository,
  FraudPlaybooksRepository,
  FraudActionsRepository,
  SpendRollupsRepository,
];

@Injectable()
class DataSourceCloser implements OnApplicationShutdown {
  constructor(private readonly ds: DataSource) {}
  async onApplicationShutdown(): Promise<void> {
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}

/** Provides the DataSource (to repositories only) and the repositories (to everyone). */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(opts: DatabaseOptions): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        {
          provide: DataSource,
          useFactory: async () => createDataSource(opts).initialize(),
        },
        DataSourceCloser,
        ...REPOSITORIES,
      ],
      exports: [DataSource, ...REPOSITORIES],
    };
  }
}
