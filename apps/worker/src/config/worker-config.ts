import { env, loadConfig, z } from '@pbx/config';

export const workerConfigSchema = z.object({
  DATABASE_URL: env.url(['postgres', 'postgresql']),
  REDIS_URL: env.url(['redis', 'rediss']),
  /** Prefix of every BullMQ key; the SIP app (producer) must use the same one. */
  QUEUE_PREFIX: z.string().min(1).default('pbx:bull'),
  WORKER_CONCURRENCY: env.int(10, 1, 1000),
  WORKER_OPS_HOST: z.string().default('127.0.0.1'),
  WORKER_OPS_PORT: env.port(9102),
  LOG_LEVEL: env.logLevel(),
  /** Where fraud findings go: `log` (warn lines), or `record` (a Redis list read by bench/fraud). */
  FRAUD_FINDINGS_SINK: z.enum(['log', 'record']).default('log'),
});

export type WorkerConfig = z.infer<typeof workerConfigSchema>;

export const WORKER_CONFIG = Symbol('WORKER_CONFIG');

export function loadWorkerConfig(source: NodeJS.ProcessEnv = process.env): WorkerConfig {
  return loadConfig(workerConfigSchema, source);
}
