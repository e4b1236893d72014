import 'reflect-metadata';
import { createLogger } from '@pbx/common';
import { ConfigError } from '@pbx/config';
import { createApiApp } from './app.factory';
import { loadApiConfig } from './config/api-config';

async function main(): Promise<void> {
  const config = loadApiConfig();
  const logger = createLogger('api', config.LOG_LEVEL);
  const app = await createApiApp(config, logger);
  await app.listen({ port: config.API_PORT, host: config.API_HOST });
  logger.info({ host: config.API_HOST, port: config.API_PORT }, 'api listening');
}

main().catch((err: unknown) => {
  const logger = createLogger('api');
  if (err instanceof ConfigError) logger.fatal(err.message);
  else logger.fatal({ err }, 'api failed to start');
  process.exit(1);
});
