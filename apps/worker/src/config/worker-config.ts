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
  /** Where fraud findings go: `respond` (alerts and the tenant's playbook), `log` (warn lines only), or `record` (a Redis list read by bench/fraud). */
  FRAUD_FINDINGS_SINK: z.enum(['respond', 'log', 'record']).default('respond'),
  /** Keys the audit chain the fraud actions are written to; the API's and SIP app's value. */
  AUDIT_HMAC_KEY: env.secret(32),
  /** Opens the fraud webhooks' signing secrets (the API's SECRETS_KEKS). Unset: webhook notify fails. */
  SECRETS_KEKS: z.string().optional(),
  /** The API's REDIS_KEY_PREFIX and JWT_ACCESS_TTL_SECONDS: revoke-sessions denies the owner's live access tokens too. */
  REDIS_KEY_PREFIX: z.string().default('pbx:'),
  JWT_ACCESS_TTL_SECONDS: env.int(3600, 60, 86_400),
  /** Findings with one dedupe key merge into one alert until none has repeated for this long. */
  FRAUD_ALERT_WINDOW_SECONDS: env.int(86_400, 60, 30 * 86_400),
  /** How long a webhook receiver has to answer before the attempt counts as failed. */
  FRAUD_WEBHOOK_TIMEOUT_MS: env.int(5000, 100, 60_000),
  /** Attempts per webhook (exponential backoff from 1 s) before notify is recorded as failed. */
  FRAUD_WEBHOOK_ATTEMPTS: env.int(6, 1, 20),
  /**
   * How long a fraud-action job's lock lives without renewal: a worker killed mid-job has its job
   * picked up again about this long (plus one stall check of the same period) later.
   */
  FRAUD_JOB_LOCK_MS: env.int(30_000, 1000, 600_000),
  /** Run the scheduled jobs (token expiry, stale alerts, spend roll-ups) from this worker. */
  MAINTENANCE_ENABLED: env.bool(true),
});

export type WorkerConfig = z.infer<typeof workerConfigSchema>;

export const WORKER_CONFIG = Symbol('WORKER_CONFIG');

export function loadWorkerConfig(source: NodeJS.ProcessEnv = process.env): WorkerConfig {
  return loadConfig(workerConfigSchema, source);
}
