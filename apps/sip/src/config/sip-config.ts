import { env, loadConfig, z } from '@pbx/config';

export const sipConfigSchema = z.object({
  /** The drachtio control endpoint: the embedded SIP edge, or a real drachtio-server. */
  DRACHTIO_HOST: z.string().min(1).default('127.0.0.1'),
  DRACHTIO_PORT: env.port(9022),
  /** Shared secret of the drachtio control connection (EDGE_SECRET on the edge side). */
  DRACHTIO_SECRET: env.secret(12),
  /** Upper bound of the reconnect back-off, in milliseconds. */
  DRACHTIO_RECONNECT_MAX_MS: env.int(10_000, 500, 300_000),
  DATABASE_URL: env.url(['postgres', 'postgresql']),
  REDIS_URL: env.url(['redis', 'rediss']),
  SIP_OPS_HOST: z.string().default('127.0.0.1'),
  SIP_OPS_PORT: env.port(9101),
  LOG_LEVEL: env.logLevel(),
});

export type SipConfig = z.infer<typeof sipConfigSchema>;

export const SIP_CONFIG = Symbol('SIP_CONFIG');

export function loadSipConfig(source: NodeJS.ProcessEnv = process.env): SipConfig {
  return loadConfig(sipConfigSchema, source);
}
