import { createDataSource, migrate } from '@pbx/database';
import './setup-env';

/** Brings the test database up to the latest migration once per run, under the migration lock. */
export default async function globalSetup(): Promise<void> {
  const ds = createDataSource({ url: process.env.DATABASE_URL as string, poolSize: 2, applicationName: 'pbx-test-setup' });
  await ds.initialize();
  try {
    await migrate(ds);
  } finally {
    await ds.destroy();
  }
}
