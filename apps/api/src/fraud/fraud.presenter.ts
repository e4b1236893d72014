import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { FraudActionEntity } from '@pbx/database';
import { FRAUD_ACTIONS, Playbook, SEVERITIES, UNDOABLE_ACTIONS, FraudAction } from '@pbx/fraud';

class PlaybookActions {
  @ApiProperty({ type: [String], enum: FRAUD_ACTIONS }) info!: string[];
  @ApiProperty({ type: [String], enum: FRAUD_ACTIONS }) warning!: string[];
  @ApiProperty({ type: [String], enum: FRAUD_ACTIONS }) critical!: string[];
}

/** The body of PUT /fraud/playbook (checked by libs/fraud's parsePlaybook). */
export class PlaybookBody {
  @ApiProperty({ type: PlaybookActions, description: `Severity (${SEVERITIES.join(', ')}) → actions, run in the order ${FRAUD_ACTIONS.join(', ')}` })
  actions!: PlaybookActions;
  @ApiPropertyOptional({ enum: [1, 2, 3], description: 'Lock level raise-lock sets: 1 no international, 2 internal only, 3 emergency only' })
  lock_level?: number;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'https URL notify POSTs to (http only to loopback)' })
  webhook_url?: string | null;
}

export class PlaybookResource extends PlaybookBody {
  @ApiProperty() declare lock_level: number;
  @ApiProperty({ type: String, nullable: true }) declare webhook_url: string | null;
  @ApiProperty({ description: 'Whether a webhook signing secret exists (it is shown only when generated)' }) webhook_secret_set!: boolean;
  @ApiProperty({ description: 'True while the tenant runs the built-in safe default' }) is_default!: boolean;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) updated_at!: string | null;
}

export function presentPlaybook(p: Playbook, extra: { secretSet: boolean; isDefault: boolean; updatedAt: Date | null }): PlaybookResource {
  return {
    actions: { info: [...p.actions.info], warning: [...p.actions.warning], critical: [...p.actions.critical] },
    lock_level: p.lockLevel,
    webhook_url: p.webhookUrl,
    webhook_secret_set: extra.secretSet,
    is_default: extra.isDefault,
    updated_at: extra.updatedAt?.toISOString() ?? null,
  };
}

export class FraudActionResource {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) alert_id!: string;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) device_id!: string | null;
  @ApiProperty({ enum: FRAUD_ACTIONS }) kind!: string;
  @ApiProperty({ enum: ['done', 'skipped', 'failed', 'undone'] }) outcome!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) details!: Record<string, unknown>;
  @ApiProperty({ description: 'Whether POST …/undo can take it back now' }) undoable!: boolean;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) undone_at!: string | null;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) undone_by!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export function presentAction(a: FraudActionEntity): FraudActionResource {
  return {
    id: a.id,
    alert_id: a.alertId,
    device_id: a.deviceId,
    kind: a.kind,
    outcome: a.outcome,
    details: a.details,
    undoable: a.outcome === 'done' && UNDOABLE_ACTIONS.includes(a.kind as FraudAction),
    undone_at: a.undoneAt?.toISOString() ?? null,
    undone_by: a.undoneBy,
    created_at: a.createdAt.toISOString(),
  };
}
