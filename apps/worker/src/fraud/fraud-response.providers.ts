import { Containment } from './containment';
import { FindingResponder } from './finding-responder.service';
import { FraudActionsProcessor } from './fraud-actions.processor';
import { FraudMetrics } from './fraud-metrics';
import { MaintenanceProcessor } from './maintenance.processor';
import { PlaybookSource } from './playbook-source';
import { WebhookNotifier } from './webhook-notifier';
import { FINDING_SINK } from '../worker.tokens';

/** Fraud response: findings → alerts → playbook actions, and the scheduled upkeep. */
export const FRAUD_RESPONSE_PROVIDERS = [
  FraudMetrics,
  PlaybookSource,
  Containment,
  WebhookNotifier,
  FindingResponder,
  { provide: FINDING_SINK, useExisting: FindingResponder },
  FraudActionsProcessor,
  MaintenanceProcessor,
];
