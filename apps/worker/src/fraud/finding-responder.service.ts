import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { createRedis, FRAUD_QUEUES, fraudActionJobId, FraudActionJob } from '@pbx/common';
import { AlertEntity, AlertsRepository, FraudActionsRepository } from '@pbx/database';
import { Finding, FindingSink, planActions } from '@pbx/fraud';
import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { WORKER_CONFIG, WorkerConfig } from '../config/worker-config';
import { WORKER_LOGGER } from '../worker.tokens';
import { FraudMetrics } from './fraud-metrics';
import { PlaybookSource } from './playbook-source';

const KEEP_COMPLETED = { count: 1000 };
const KEEP_FAILED = { count: 5000 };

/**
 * The response side of fraud scoring (a FindingSink): a finding becomes or updates one alert, and
 * the playbook's actions for the alert's severity that were not taken yet are queued, one job each.
 * Queuing is repeated on every finding, duplicate or not: if the worker died between storing the
 * alert and queuing its actions, the retried event queues them; job ids and the actions' unique
 * rows keep every action to once per alert.
 */
@Injectable()
export class FindingResponder implements FindingSink, OnModuleInit, OnApplicationShutdown {
  private queue: Queue | null = null;
  private connection: Redis | null = null;

  constructor(
    private readonly alerts: AlertsRepository,
    private readonly actions: FraudActionsRepository,
    private readonly playbooks: PlaybookSource,
    private readonly metrics: FraudMetrics,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(WORKER_LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    // Nest runs this hook once per provider token, and FINDING_SINK's factory returns this same
    // instance: without the guard the first connection leaks and keeps the process alive.
    if (this.queue) return;
    this.connection = createRedis(this.config.REDIS_URL, 'pbx-worker-fraud-producer');
    this.queue = new Queue(FRAUD_QUEUES.actions, { connection: this.connection, prefix: this.config.QUEUE_PREFIX });
    this.queue.on('error', (err) => this.logger.error({ err, queue: FRAUD_QUEUES.actions }, 'queue error'));
  }

  async accept(findings: readonly Finding[]): Promise<void> {
    for (const finding of findings) await this.respond(finding);
  }

  private async respond(finding: Finding): Promise<void> {
    const { alert, change } = await this.alerts.recordFinding(finding);
    this.metrics.alerts.inc({ kind: alert.kind, severity: alert.severity, change });
    if (change === 'opened' || change === 'escalated')
      this.logger.warn({ alertId: alert.id, tenantId: alert.tenantId, deviceId: alert.deviceId, kind: alert.kind, severity: alert.severity, change }, 'fraud alert');
    await this.queueActions(alert);
  }

  /** Queues what the playbook asks for at the alert's severity and has not been done for it yet. */
  async queueActions(alert: AlertEntity): Promise<string[]> {
    if (alert.status === 'resolved') return [];
    const playbook = await this.playbooks.of(alert.tenantId);
    const plan = planActions(playbook, alert.severity, { hasDevice: alert.deviceId !== null, done: await this.actions.kindsOf(alert.id) });
    if (!plan.length || !this.queue) return plan;
    // Notify retries on its own schedule; containment runs in playbook order in one job, so the
    // device is locked and suspended before its calls are ended and it cannot dial straight back.
    const contain = plan.filter((a) => a !== 'notify');
    const batches = [plan.includes('notify') ? ['notify'] : [], contain].filter((b) => b.length > 0);
    await this.queue.addBulk(
      batches.map((actions) => ({
        name: actions.join('+'),
        data: { tenantId: alert.tenantId, alertId: alert.id, actions } satisfies FraudActionJob,
        opts: {
          jobId: fraudActionJobId(alert.id, actions),
          attempts: actions[0] === 'notify' ? this.config.FRAUD_WEBHOOK_ATTEMPTS : 5,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: KEEP_COMPLETED,
          removeOnFail: KEEP_FAILED,
        },
      })),
    );
    return plan;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue?.close();
    await this.connection?.quit().catch(() => this.connection?.disconnect());
  }
}
