import { Containment } from './containment';
import { FindingResponder } from './finding-responder.service';
import { FraudActionsProcessor } from './fraud-actions.processor';
import { FraudMetrics } from './fraud-metrics';
import { MaintenanceProcessor } from './maintenance.processor';
import { PlaybookSource } from './playbook-source';
import { WebhookNotifier } from './webhook-notifier';

/**
 * Fraud response: findings → alerts → playbook actions, and the scheduled upkeep. The scorer's
 * FINDING_SINK is meant to be `{ provide: FINDING_SINK, useExisting: FindingResponder }`.
 */
export const FRAUD_RESPONSE_PROVIDERS = [
  FraudMetrics,
  PlaybookSource,
  Containment,
  WebhookNotifier,
  FindingResponder,
  FraudActionsProcessor,
  MaintenanceProcessor,
];
