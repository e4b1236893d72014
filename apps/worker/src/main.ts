import 'reflect-metadata';
import { createLogger, onShutdown } from '@pbx/common';
import { ConfigError } from '@pbx/config';
import { loadWorkerConfig } from './config/worker-config';
import { startWorker } from './worker';

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const logger = createLogger('worker', config.LOG_LEVEL);
  const worker = await startWorker(config, logger);
  onShutdown(logger, [() => worker.close()]);
  logger.info({ opsPort: worker.opsPort, prefix: config.QUEUE_PREFIX }, 'worker started');
}

main().catch((err: unknown) => {
  const logger = createLogger('worker');
  if (err instanceof ConfigError) logger.fatal(err.message);
  else logger.fatal({ err }, 'worker failed to start');
  process.exit(1);
});
