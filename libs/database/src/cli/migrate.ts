import { createLogger } from '@pbx/common';
import { loadConfig, z, env } from '@pbx/config';
import { createDataSource } from '../data-source';
import { migrate, revertLast } from '../migrate';

const logger = createLogger('migrate');

async function main(): Promise<void> {
  const cfg = loadConfig(z.object({ DATABASE_URL: env.url(['postgres', 'postgresql']) }));
  const ds = createDataSource({ url: cfg.DATABASE_URL, poolSize: 2, applicationName: 'pbx-migrate' });
  await ds.initialize();
  try {
    if (process.argv[2] === 'revert') {
      await revertLast(ds);
      logger.info('reverted the last migration');
    } else {
      const ran = await migrate(ds);
      logger.info({ ran }, ran.length ? 'migrations applied' : 'database already up to date');
    }
  } finally {
    await ds.destroy();
  }
}

main().catch((err: unknown) => {
  logger.fatal({ err }, 'migration failed');
  process.exit(1);
});
