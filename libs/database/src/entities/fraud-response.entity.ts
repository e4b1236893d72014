import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** A tenant's fraud playbook; a tenant without a row runs libs/fraud's DEFAULT_PLAYBOOK. */
@Entity({ name: 'fraud_playbooks' })
export class FraudPlaybookEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid', primaryKeyConstraintName: 'pk_fraud_playbooks' }) tenantId!: string;
  /** Severity → action names. */
  @Column({ type: 'jsonb' }) actions!: Record<string, string[]>;
  @Column({ name: 'lock_level', type: 'smallint' }) lockLevel!: number;
  @Column({ name: 'webhook_url', type: 'text', nullable: true }) webhookUrl!: string | null;
  /** The webhook's HMAC key, sealed with SECRETS_KEKS; never leaves the database through the API. */
  @Column({ name: 'webhook_secret_sealed', type: 'text', nullable: true, select: false }) webhookSecretSealed!: string | null;
  @Column({ name: 'updated_by', type: 'uuid', nullable: true }) updatedBy!: string | null;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

export type FraudActionOutcome = 'done' | 'skipped' | 'failed' | 'undone';

/** One action the fraud worker took for an alert; unique per alert and kind. */
@Entity({ name: 'fraud_actions' })
export class FraudActionEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_fraud_actions' }) id!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ name: 'alert_id', type: 'uuid' }) alertId!: string;
  @Column({ name: 'device_id', type: 'uuid', nullable: true }) deviceId!: string | null;
  @Column({ type: 'text' }) kind!: string;
  @Column({ type: 'text' }) outcome!: FraudActionOutcome;
  /** What it did, for people: levels, counts, the webhook's status. No secrets. */
  @Column({ type: 'jsonb' }) details!: Record<string, unknown>;
  /** What undo needs (previous level, status, digests, revoked families); never presented. */
  @Column({ name: 'undo_state', type: 'jsonb', nullable: true, select: false }) undoState!: Record<string, unknown> | null;
  @Column({ name: 'undone_at', type: 'timestamptz', nullable: true }) undoneAt!: Date | null;
  @Column({ name: 'undone_by', type: 'uuid', nullable: true }) undoneBy!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
