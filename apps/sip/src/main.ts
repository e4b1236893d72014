import 'reflect-metadata';
import { createLogger, onShutdown } from '@pbx/common';
import { ConfigError } from '@pbx/config';
import { loadSipConfig } from './config/sip-config';
import { snapshotEnvironment } from './env-snapshot';
import { startSip } from './sip';

async function main(): Promise<void> {
  const config = loadSipConfig();
  snapshotEnvironment();
  const logger = createLogger('sip', config.LOG_LEVEL);
  const sip = await startSip(config, logger);
  onShutdown(logger, [() => sip.close()]);
  logger.info({ opsPort: sip.opsPort }, 'sip app started');
}

main().catch((err: unknown) => {
  const logger = createLogger('sip');
  if (err instanceof ConfigError) logger.fatal(err.message);
  else logger.fatal({ err }, 'sip app failed to start');
  process.exit(1);
});
