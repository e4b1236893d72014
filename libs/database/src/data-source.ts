import { DataSource } from 'typeorm';
import { ALL_MIGRATIONS } from '../../../migrations';
import { ALL_ENTITIES } from './entities';

export interface DatabaseOptions {
  url: string;
  poolSize?: number;
  /** Connection name shown in pg_stat_activity. */
  applicationName?: string;
  statementTimeoutMs?: number;
}

export function createDataSource(opts: DatabaseOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: opts.url,
    entities: ALL_ENTITIES,
    migrations: ALL_MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    applicationName: opts.applicationName ?? 'pbx',
    extra: {
      max: opts.poolSize ?? 10,
      statement_timeout: opts.statementTimeoutMs ?? 15_000,
      connectionTimeoutMillis: 5_000,
    },
  });
}
