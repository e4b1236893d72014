import type { Finding } from './finding';

/**
 * Where the scorer hands its findings: the worker's responder turns each into a deduplicated
 * alert and runs the tenant's playbook. `accept` resolves once the alert is stored and its actions
 * are queued, so a call-event job completes only after its findings are safe.
 */
export interface FindingSink {
  accept(finding: Finding): Promise<void>;
}
