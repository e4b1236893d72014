import type { Finding } from './finding';

/**
 * Where the scorer hands its findings (the same contract as apps/worker's scoring/finding-sink.ts on
 * the detection side): the worker's FindingResponder turns each into a deduplicated alert and queues
 * the tenant's playbook. Delivery is at least once; a repeat (same eventId and dedupeKey) counts once.
 */
export interface FindingSink {
  accept(findings: readonly Finding[]): Promise<void>;
}
