import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { createBlockingRedis, parseCallEventJob, QUEUES } from '@pbx/common';
import { TenantNotFoundError } from '@pbx/database';
import { Job, UnrecoverableError, Worker } from 'bullmq';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { Counter, Registry } from 'prom-client';
import { WORKER_CONFIG, WorkerConfig } from './config/worker-config';
import { Scorer } from './scoring/scorer';
import { WORKER_LOGGER, WORKER_METRICS } from './worker.tokens';

/** Finished jobs kept for inspection; older ones are dropped so Redis memory stays bounded. */
const KEEP_COMPLETED = 1000;
const KEEP_FAILED = 5000;

/**
 * Consumer of the call-events queue: validates each event and scores it for fraud (see
 * scoring/scorer.ts); findings go to the FindingSink.
 */
@Injectable()
export class CallEventsProcessor implements OnModuleInit, OnApplicationShutdown {
  private worker: Worker | null = null;
  private connection: Redis | null = null;
  private readonly jobs: Counter<'outcome'>;
  private readonly findings: Counter<'kind' | 'severity'>;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(WORKER_LOGGER) private readonly logger: Logger,
    @Inject(WORKER_METRICS) registry: Registry,
    private readonly scorer: Scorer,
  ) {
    this.findings = new Counter({
      name: 'worker_fraud_findings_total',
      help: 'fraud findings by kind and severity',
      labelNames: ['kind', 'severity'],
      registers: [registry],
    });
    this.jobs = new Counter({
      name: 'worker_call_events_jobs_total',
      help: 'call-events jobs by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    });
  }

  async process(job: Job<unknown>): Promise<void> {
    const parsed = parseCallEventJob(job.data);
    // A malformed payload will never succeed: fail it now instead of burning retries.
    if (!parsed.ok) throw new UnrecoverableError(`invalid ${QUEUES.callEvents} payload: ${parsed.problems.join('; ')}`);
    let findings;
    try {
      findings = await this.scorer.score(parsed.job);
    } catch (err) {
      // A deleted tenant's events have nothing left to protect: note them and move on.
      if (!(err instanceof TenantNotFoundError)) throw err;
      this.logger.warn({ jobId: job.id, tenantId: parsed.job.tenantId }, 'call event of an unknown tenant not scored');
      return;
    }
    for (const f of findings) this.findings.inc({ kind: f.kind, severity: f.severity });
    this.logger.debug({ jobId: job.id, type: parsed.job.type, findings: findings.length }, 'call event scored');
  }

  onModuleInit(): void {
    this.connection = createBlockingRedis(this.config.REDIS_URL, 'pbx-worker');
    this.worker = new Worker(QUEUES.callEvents, (job) => this.process(job), {
      connection: this.connection,
      prefix: this.config.QUEUE_PREFIX,
      concurrency: this.config.WORKER_CONCURRENCY,
      removeOnComplete: { count: KEEP_COMPLETED },
      removeOnFail: { count: KEEP_FAILED },
    });
    this.worker.on('error', (err) => this.logger.error({ err, queue: QUEUES.callEvents }, 'worker error'));
    this.worker.on('completed', () => this.jobs.inc({ outcome: 'completed' }));
    this.worker.on('failed', (job, err) => {
      this.jobs.inc({ outcome: 'failed' });
      this.logger.warn({ jobId: job?.id, attemptsMade: job?.attemptsMade, err }, 'call event job failed');
    });
  }

  isRunning(): boolean {
    return this.worker?.isRunning() ?? false;
  }

  /** Waits for in-flight jobs to finish, then releases the connection. */
  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
    await this.connection?.quit().catch(() => this.connection?.disconnect());
  }
}
