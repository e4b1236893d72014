import { Inject, Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';
import { WORKER_METRICS } from '../worker.tokens';

/** The fraud side's /metrics: alerts by kind and severity, actions by kind and outcome, queue lag. */
@Injectable()
export class FraudMetrics {
  readonly alerts: Counter<'kind' | 'severity' | 'change'>;
  readonly actions: Counter<'action' | 'outcome'>;
  readonly lag: Histogram<'queue'>;

  constructor(@Inject(WORKER_METRICS) registry: Registry) {
    this.alerts = new Counter({
      name: 'worker_fraud_alerts_total',
      help: 'Findings merged into alerts, by alert kind, severity and what they did (opened, repeated, escalated, duplicate)',
      labelNames: ['kind', 'severity', 'change'],
      registers: [registry],
    });
    this.actions = new Counter({
      name: 'worker_fraud_actions_total',
      help: 'Playbook actions by action and outcome (done, skipped, failed, retry)',
      labelNames: ['action', 'outcome'],
      registers: [registry],
    });
    this.lag = new Histogram({
      name: 'worker_queue_lag_seconds',
      help: 'Time from a job being queued to a worker starting it, by queue',
      labelNames: ['queue'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
  }

  /** Call when a job starts: its lag is now minus when it was queued (or became due, for a delay). */
  observeLag(queue: string, job: { timestamp: number; delay?: number }): void {
    this.lag.observe({ queue }, Math.max(0, Date.now() - job.timestamp - (job.delay ?? 0)) / 1000);
  }
}
