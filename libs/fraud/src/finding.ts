/**
 * The contract between fraud detection and fraud response. Detectors (pure functions over a call
 * event and the device's/tenant's bounded state) return Findings; the worker turns a Finding into a
 * deduplicated alert and runs the tenant's playbook for its severity.
 */
export const FRAUD_KINDS = [
  'call-rate-spike',
  'concurrency-spike',
  'new-destination',
  'high-risk-share',
  'short-call-flood',
  'sequential-dialling',
  'out-of-hours-international',
  'spend-velocity',
  'many-destinations',
  'account-takeover',
  'wangiri',
] as const;
export type FraudKind = (typeof FRAUD_KINDS)[number];

/** The alerts table's severities (ck_alerts_severity). */
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Finding {
  kind: FraudKind;
  severity: Severity;
  tenantId: string;
  /** The device the finding is about; null for tenant-wide findings. */
  deviceId: string | null;
  /** Findings with the same key within the dedupe window are one alert (e.g. `${kind}:${deviceId}`). */
  dedupeKey: string;
  /** One line for a human, no secrets, e.g. "12 calls to +881 in 60 s (baseline 0.4/min)". */
  title: string;
  /** The numbers that fired it: observed value, threshold, baseline, window… */
  evidence: Record<string, number | string | boolean>;
  /** The call event that fired it (its eventId) and when (epoch ms). */
  eventId: string;
  at: number;
}

/** Higher wins when findings are merged into one alert. */
export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);
