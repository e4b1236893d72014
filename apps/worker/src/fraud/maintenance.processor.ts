import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import {
  createBlockingRedis,
  createRedis,
  FRAUD_QUEUES,
  MAINTENANCE_JOBS,
  MaintenanceJob,
  PolicyCounterKeys,
  RAISE_SPEND_FLOOR_LUA,
} from '@pbx/common';
import { AlertsRepository, RefreshTokensRepository, SpendRollupsRepository } from '@pbx/database';
import { Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { WORKER_CONFIG, WorkerConfig } from '../config/worker-config';
import { WORKER_LOGGER, WORKER_REDIS } from '../worker.tokens';
import { FraudMetrics } from './fraud-metrics';

const DAY_S = 86_400;

/** When each scheduled job runs (BullMQ job schedulers: one per id however many workers upsert it). */
const SCHEDULES: Record<MaintenanceJob, { pattern: string }> = {
  'expire-refresh-tokens': { pattern: '7 * * * *' },
  'expire-stale-alerts': { pattern: '*/10 * * * *' },
  'spend-rollup': { pattern: '*/5 * * * *' },
};

/**
 * Scheduled upkeep: expired refresh tokens are deleted, fraud alerts no finding repeated within the
 * dedupe window are resolved, and the daily and monthly spend per tenant are summed from the CDRs
 * into spend_rollups and raised into the Redis counters the spend caps read (never lowered).
 * Every job is idempotent: running one twice, or after a crash, gives the same result.
 */
@Injectable()
export class MaintenanceProcessor implements OnModuleInit, OnApplicationShutdown {
  private worker: Worker | null = null;
  private queue: Queue | null = null;
  private connections: Redis[] = [];

  constructor(
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly alerts: AlertsRepository,
    private readonly spend: SpendRollupsRepository,
    private readonly metrics: FraudMetrics,
    @Inject(WORKER_REDIS) private readonly redis: Redis,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(WORKER_LOGGER) private readonly logger: Logger,
  ) {}

  async run(name: string, now = new Date()): Promise<Record<string, number>> {
    switch (name as MaintenanceJob) {
      case 'expire-refresh-tokens':
        return { deleted: await this.refreshTokens.deleteExpired() };
      case 'expire-stale-alerts':
        return { resolved: await this.alerts.resolveStale(new Date(now.getTime() - this.config.FRAUD_ALERT_WINDOW_SECONDS * 1000)) };
      case 'spend-rollup':
        return this.rollUpSpend(now);
      default:
        throw new UnrecoverableError(`unknown maintenance job ${name}; known: ${MAINTENANCE_JOBS.join(', ')}`);
    }
  }

  private async rollUpSpend(now: Date): Promise<Record<string, number>> {
    const rows = await this.spend.rollUp(now);
    let raised = 0;
    for (const r of rows) {
      const key = r.period === 'day' ? PolicyCounterKeys.spendDay(r.tenantId, r.periodKey) : PolicyCounterKeys.spendMonth(r.tenantId, r.periodKey);
      const ttl = r.period === 'day' ? 2 * DAY_S : 62 * DAY_S;
      raised += Number(await this.redis.eval(RAISE_SPEND_FLOOR_LUA, 1, key, String(r.amount), String(ttl)));
    }
    return { rollups: rows.length, counters_raised: raised };
  }

  private async process(job: Job): Promise<Record<string, number>> {
    if (job.attemptsMade === 0) this.metrics.observeLag(FRAUD_QUEUES.maintenance, job);
    const result = await this.run(job.name);
    this.logger.info({ job: job.name, ...result }, 'maintenance job done');
    return result;
  }

  async onModuleInit(): Promise<void> {
    if (!this.config.MAINTENANCE_ENABLED) return;
    const producer = createRedis(this.config.REDIS_URL, 'pbx-worker-maintenance-producer');
    const consumer = createBlockingRedis(this.config.REDIS_URL, 'pbx-worker-maintenance');
    this.connections = [producer, consumer];
    this.queue = new Queue(FRAUD_QUEUES.maintenance, { connection: producer, prefix: this.config.QUEUE_PREFIX });
    this.queue.on('error', (err) => this.logger.error({ err, queue: FRAUD_QUEUES.maintenance }, 'queue error'));
    for (const name of MAINTENANCE_JOBS)
      await this.queue.upsertJobScheduler(name, SCHEDULES[name], {
        name,
        opts: { attempts: 3, backoff: { type: 'exponential', delay: 5000 }, removeOnComplete: { count: 100 }, removeOnFail: { count: 500 } },
      });
    this.worker = new Worker(FRAUD_QUEUES.maintenance, (job) => this.process(job), {
      connection: consumer,
      prefix: this.config.QUEUE_PREFIX,
      concurrency: 1,
    });
    this.worker.on('error', (err) => this.logger.error({ err, queue: FRAUD_QUEUES.maintenance }, 'worker error'));
    this.worker.on('failed', (job, err) => this.logger.warn({ job: job?.name, err: { message: err.message } }, 'maintenance job failed'));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
    await this.queue?.close();
    for (const c of this.connections) await c.quit().catch(() => c.disconnect());
  }
}
