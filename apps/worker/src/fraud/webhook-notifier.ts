import { Inject, Injectable } from '@nestjs/common';
import { AlertEntity } from '@pbx/database';
import { signWebhook, WEBHOOK_HEADERS } from '@pbx/fraud';
import { WORKER_CONFIG, WorkerConfig } from '../config/worker-config';

export class WebhookRejected extends Error {}

/**
 * POSTs an alert to the tenant's webhook, signed (HMAC-SHA256 over `<timestamp>.<body>`). Any answer
 * but 2xx, a timeout or a network error throws, and BullMQ retries the job with backoff.
 * Redirects are not followed: a signed body goes only where the tenant said.
 */
@Injectable()
export class WebhookNotifier {
  constructor(@Inject(WORKER_CONFIG) private readonly config: WorkerConfig) {}

  async send(url: string, secret: string, alert: AlertEntity, attempt: number): Promise<number> {
    const body = JSON.stringify({
      type: 'fraud.alert',
      alert: {
        id: alert.id,
        tenant_id: alert.tenantId,
        device_id: alert.deviceId,
        kind: alert.kind,
        severity: alert.severity,
        status: alert.status,
        title: alert.title,
        evidence: alert.details,
        occurrences: alert.occurrences,
        created_at: alert.createdAt.toISOString(),
        last_seen_at: alert.lastSeenAt?.toISOString() ?? null,
      },
      attempt,
    });
    const ts = Math.floor(Date.now() / 1000);
    const res = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(this.config.FRAUD_WEBHOOK_TIMEOUT_MS),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'pbx-fraud-webhook/1',
        [WEBHOOK_HEADERS.timestamp]: String(ts),
        [WEBHOOK_HEADERS.signature]: signWebhook(secret, ts, body),
      },
      body,
    });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status < 200 || res.status > 299) throw new WebhookRejected(`webhook answered ${res.status}`);
    return res.status;
  }
}
