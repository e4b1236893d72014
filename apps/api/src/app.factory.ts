import helmet from '@fastify/helmet';
import { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { createLogger, createMetricsRegistry } from '@pbx/common';
import { LogController } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import type { ApiConfig } from './config/api-config';
import { instrumentHttp } from './health/metrics';
import { ApiExceptionFilter } from './http/exception.filter';
import { registerJsonParser } from './http/json-body';
import { setupOpenApi } from './http/openapi-setup';
import { createValidationPipe } from './http/validation';
import { mountQueueDashboard } from './queues/bull-board';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}

/** Builds the API exactly as production runs it; main.ts and the e2e tests both call this. */
export async function createApiApp(config: ApiConfig, logger: Logger = createLogger('api', config.LOG_LEVEL)) {
  const registry = createMetricsRegistry('api');
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    trustProxy: config.TRUST_PROXY,
    bodyLimit: 1024 * 1024,
    // Per-request access lines only at debug: at info they would double the log volume under load.
    logController: new LogController({ disableRequestLogging: config.LOG_LEVEL !== 'debug' && config.LOG_LEVEL !== 'trace' }),
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, logger, registry), adapter, {
    logger: new PinoNestLogger(logger),
    bufferLogs: false,
    // JSON is parsed by registerJsonParser, which bounds nesting first; the API takes no form bodies.
    bodyParser: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onSend', (req, reply, payload, done) => {
    void reply.header('x-request-id', req.id);
    done(null, payload);
  });
  fastify.addHook('onResponse', (req, reply, done) => {
    if (reply.statusCode >= 400) req.log.info({ status: reply.statusCode, method: req.method, url: req.routeOptions.url }, 'request failed');
    done();
  });
  instrumentHttp(fastify, registry);
  registerJsonParser(fastify);

  await app.register(helmet, {
    hsts: { maxAge: 31_536_000, includeSubDomains: true },
    frameguard: { action: 'deny' },
    noSniff: true,
    // The only HTML we serve is the OpenAPI UI; everything else is JSON.
    contentSecurityPolicy: false,
  });
  if (config.CORS_ORIGINS.length) {
    app.enableCors({ origin: config.CORS_ORIGINS, credentials: false, maxAge: 600 });
  }
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ApiExceptionFilter(logger));
  app.enableShutdownHooks();
  if (config.DOCS_ENABLED) setupOpenApi(app, config);
  await mountQueueDashboard(app, config, logger);
  return app;
}
