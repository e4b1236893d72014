import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import {
  createBlockingRedis,
  FRAUD_QUEUES,
  InvalidationPublisher,
  parseFraudActionJob,
  RedisChannels,
  SipCommand,
} from '@pbx/common';
import { AlertEntity, AlertsRepository, AuditLogRepository, FraudActionsRepository } from '@pbx/database';
import { FRAUD_ACTIONS, FraudAction } from '@pbx/fraud';
import { Job, UnrecoverableError, Worker } from 'bullmq';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { WORKER_CONFIG, WorkerConfig } from '../config/worker-config';
import { WORKER_LOGGER, WORKER_METRICS, WORKER_REDIS } from '../worker.tokens';
import { afterSteps, Containment } from './containment';
import { FraudMetrics } from './fraud-metrics';
import { PlaybookSource } from './playbook-source';
import { WebhookNotifier } from './webhook-notifier';

/**
 * Carries out an alert's playbook actions. Each containment action, its action row and its audit
 * entry commit together (the row's unique (alert, kind) claim makes a retried or concurrent job a
 * no-op); invalidations and the hang-up command go out after the commit. Notify is at-least-once:
 * a crash after the POST and before its row resends it, so receivers dedupe on the alert id.
 */
@Injectable()
export class FraudActionsProcessor implements OnModuleInit, OnApplicationShutdown {
  private worker: Worker | null = null;
  private connection: Redis | null = null;
  private readonly invalidation: InvalidationPublisher;

  constructor(
    private readonly alerts: AlertsRepository,
    private readonly actions: FraudActionsRepository,
    private readonly auditLog: AuditLogRepository,
    private readonly playbooks: PlaybookSource,
    private readonly containment: Containment,
    private readonly notifier: WebhookNotifier,
    private readonly metrics: FraudMetrics,
    @Inject(WORKER_REDIS) private readonly redis: Redis,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(WORKER_LOGGER) private readonly logger: Logger,
    @Inject(WORKER_METRICS) registry: Registry,
  ) {
    this.invalidation = new InvalidationPublisher(redis, { logger, registry });
  }

  async process(job: Job<unknown>): Promise<void> {
    if (job.attemptsMade === 0) this.metrics.observeLag(FRAUD_QUEUES.actions, job);
    const parsed = parseFraudActionJob(job.data, FRAUD_ACTIONS);
    if (!parsed.ok) throw new UnrecoverableError(`invalid ${FRAUD_QUEUES.actions} payload: ${parsed.problem}`);
    const alert = await this.alerts.findInTenant(parsed.job.tenantId, parsed.job.alertId);
    if (!alert) throw new UnrecoverableError(`alert ${parsed.job.alertId} does not exist`);
    for (const action of parsed.job.actions as FraudAction[]) {
      if (action === 'notify') await this.notify(alert, job);
      else await this.contain(action, alert);
    }
  }

  private async contain(action: Exclude<FraudAction, 'notify'>, alert: AlertEntity): Promise<void> {
    const playbook = await this.playbooks.of(alert.tenantId);
    const result = await this.auditLog.withAudit(this.config.AUDIT_HMAC_KEY, async (audit) => {
      const id = await this.actions.claim({ tenantId: alert.tenantId, alertId: alert.id, deviceId: alert.deviceId, kind: action });
      if (!id) return null;
      const r = await this.containment.run(action, alert, playbook);
      await this.actions.settle(id, r.outcome, r.details, r.undo ?? null);
      audit.record(this.entry(alert, action, r.outcome, { ...r.details, action_id: id }));
      return r;
    });
    if (result) {
      this.metrics.actions.inc({ action, outcome: result.outcome });
      this.logger.warn({ alertId: alert.id, tenantId: alert.tenantId, deviceId: alert.deviceId, action, outcome: result.outcome }, 'fraud action');
    }
    // Taken by an earlier run of this job that may have died before publishing: publish again.
    const outcome = result?.outcome ?? (await this.actions.outcomeOf(alert.id, action));
    if (outcome === 'done') await this.publish(alert, action);
  }

  private async notify(alert: AlertEntity, job: Job): Promise<void> {
    if ((await this.actions.kindsOf(alert.id)).includes('notify')) return;
    const hook = await this.playbooks.webhook(alert.tenantId);
    if ('problem' in hook) return this.settleNotify(alert, 'skipped', { reason: hook.problem });
    try {
      const status = await this.notifier.send(hook.url, hook.secret, alert, job.attemptsMade + 1);
      await this.settleNotify(alert, 'done', { status, attempts: job.attemptsMade + 1 });
    } catch (err) {
      const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const message = err instanceof Error ? err.message : String(err);
      this.metrics.actions.inc({ action: 'notify', outcome: last ? 'failed' : 'retry' });
      if (last) await this.settleNotify(alert, 'failed', { error: message.slice(0, 200), attempts: job.attemptsMade + 1 });
      throw err;
    }
  }

  private async settleNotify(alert: AlertEntity, outcome: 'done' | 'skipped' | 'failed', details: Record<string, unknown>): Promise<void> {
    const settled = await this.auditLog.withAudit(this.config.AUDIT_HMAC_KEY, async (audit) => {
      const id = await this.actions.claim({ tenantId: alert.tenantId, alertId: alert.id, deviceId: alert.deviceId, kind: 'notify' });
      if (!id) return false;
      await this.actions.settle(id, outcome, details);
      audit.record(this.entry(alert, 'notify', outcome, { ...details, action_id: id }));
      return true;
    });
    if (settled && outcome !== 'failed') this.metrics.actions.inc({ action: 'notify', outcome });
  }

  private entry(alert: AlertEntity, action: FraudAction, outcome: string, details: Record<string, unknown>) {
    return {
      tenantId: alert.tenantId,
      actorUserId: null,
      actorEmail: null,
      action: `fraud.action.${action}`,
      targetType: alert.deviceId && action !== 'notify' ? 'device' : 'alert',
      targetId: alert.deviceId && action !== 'notify' ? alert.deviceId : alert.id,
      ip: null,
      userAgent: 'system',
      result: outcome === 'failed' ? ('failure' as const) : ('success' as const),
      metadata: { alert_id: alert.id, alert_kind: alert.kind, severity: alert.severity, outcome, ...details },
    };
  }

  private async publish(alert: AlertEntity, action: Exclude<FraudAction, 'notify'>): Promise<void> {
    for (const step of afterSteps(action, alert.deviceId !== null)) {
      if (step.kind === 'invalidate') await this.invalidation.publish(step.what, alert.tenantId, step.what === 'policy' && !alert.deviceId ? null : alert.deviceId);
      else if (alert.deviceId) {
        const command: SipCommand = {
          op: 'hangup-device',
          tenantId: alert.tenantId,
          deviceId: alert.deviceId,
          requestedBy: `fraud:${alert.id}`,
          reason: alert.title.slice(0, 120),
        };
        await this.redis.publish(RedisChannels.sipCommands, JSON.stringify(command));
      }
    }
  }

  onModuleInit(): void {
    this.connection = createBlockingRedis(this.config.REDIS_URL, 'pbx-worker-fraud');
    this.worker = new Worker(FRAUD_QUEUES.actions, (job) => this.process(job), {
      connection: this.connection,
      prefix: this.config.QUEUE_PREFIX,
      concurrency: 5,
      lockDuration: this.config.FRAUD_JOB_LOCK_MS,
      stalledInterval: this.config.FRAUD_JOB_LOCK_MS,
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 5000 },
    });
    this.worker.on('error', (err) => this.logger.error({ err, queue: FRAUD_QUEUES.actions }, 'worker error'));
    this.worker.on('failed', (job, err) =>
      this.logger.warn({ jobId: job?.id, attemptsMade: job?.attemptsMade, err: { message: err.message } }, 'fraud action job failed'),
    );
  }

  isRunning(): boolean {
    return this.worker?.isRunning() ?? false;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
    await this.connection?.quit().catch(() => this.connection?.disconnect());
  }
}
