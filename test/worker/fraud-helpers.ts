import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Finding } from '../../libs/fraud/src';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every 50 ms until it returns something truthy, or fails at the deadline. */
export async function eventually<T>(probe: () => Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export function finding(tenantId: string, deviceId: string | null, over: Partial<Finding> = {}): Finding {
  return {
    kind: 'call-rate-spike',
    severity: 'critical',
    tenantId,
    deviceId,
    dedupeKey: `call-rate-spike:${deviceId ?? tenantId}`,
    title: '40 calls to +881 in 60 s (baseline 0.4/min)',
    evidence: { calls: 40, window_s: 60, baseline_per_min: 0.4 },
    eventId: randomUUID(),
    at: Date.now(),
    ...over,
  };
}

export interface ActionRow {
  id: string;
  kind: string;
  outcome: string;
}

export const actionsOf = (db: DataSource, alertId: string): Promise<ActionRow[]> =>
  db.query(`SELECT id, kind, outcome FROM fraud_actions WHERE alert_id = $1 ORDER BY kind`, [alertId]);

/** The audit entries the fraud actions wrote for an alert, by action name. */
export async function auditOf(db: DataSource, tenantId: string, alertId: string): Promise<Array<{ action: string; action_id: string; target_id: string }>> {
  return db.query(
    `SELECT action, metadata->>'action_id' AS action_id, target_id FROM audit_log
      WHERE chain = $1 AND metadata->>'alert_id' = $2 ORDER BY id`,
    [`tenant:${tenantId}`, alertId],
  );
}
