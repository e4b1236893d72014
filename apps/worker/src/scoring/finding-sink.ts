import type { Finding } from '@pbx/fraud';
import { REDIS_PREFIX } from '@pbx/common';
import type Redis from 'ioredis';
import type { Logger } from 'pino';

/**
 * Where the scorer hands its findings, after their state is committed. Delivery is at least once:
 * when `accept` throws, the job is retried and the same findings (same eventId and dedupeKey) come
 * again, so an implementation must treat a repeat as one (alerts deduplicate by dedupeKey).
 */
export interface FindingSink {
  accept(findings: readonly Finding[]): Promise<void>;
}

export const FINDING_SINK = Symbol('FINDING_SINK');

/** The default until alerts and the playbook take findings: one warn line per finding (no secrets in a finding). */
export class LoggingFindingSink implements FindingSink {
  constructor(private readonly logger: Logger) {}
  async accept(findings: readonly Finding[]): Promise<void> {
    for (const f of findings) this.logger.warn({ finding: f }, `fraud finding: ${f.kind}: ${f.title}`);
  }
}

/** Redis list the recording sink appends to, for bench/fraud. */
export const RECORDED_FINDINGS_KEY = `${REDIS_PREFIX}fraud:recorded-findings`;

export interface RecordedFinding {
  finding: Finding;
  /** Wall-clock epoch ms at which the worker handed it over. */
  recordedAt: number;
}

/** Appends each finding with the wall-clock time it was produced, for a benchmark to read back. */
export class RecordingFindingSink implements FindingSink {
  constructor(
    private readonly redis: Redis,
    private readonly key = RECORDED_FINDINGS_KEY,
  ) {}
  async accept(findings: readonly Finding[]): Promise<void> {
    if (findings.length === 0) return;
    const recordedAt = Date.now();
    await this.redis.rpush(this.key, ...findings.map((finding) => JSON.stringify({ finding, recordedAt } satisfies RecordedFinding)));
  }
}
