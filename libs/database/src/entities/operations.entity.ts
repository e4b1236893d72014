import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { numericTransformer } from './columns';

export type CdrDirection = 'inbound' | 'outbound' | 'internal';
export type CdrDisposition = 'answered' | 'busy' | 'no_answer' | 'failed' | 'cancelled' | 'denied';

/** One leg's media at the end of the call, from rtpengine's statistics (libs/call-control's MediaQuality). */
export interface CdrLegQuality {
  packets: number;
  bytes: number;
  packetsLostPercent: number | null;
  jitterMs: number | null;
  roundTripMs: number | null;
  mos: number | null;
  mosSource: 'rtpengine' | 'estimate' | null;
}

export interface CdrMediaQuality {
  caller: CdrLegQuality | null;
  callee: CdrLegQuality | null;
}

@Entity({ name: 'cdrs' })
export class CdrEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_cdrs' }) id!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ name: 'call_id', type: 'text' }) callId!: string;
  @Column({ type: 'text' }) direction!: CdrDirection;
  @Column({ name: 'device_id', type: 'uuid', nullable: true }) deviceId!: string | null;
  @Column({ name: 'extension_id', type: 'uuid', nullable: true }) extensionId!: string | null;
  @Column({ name: 'trunk_id', type: 'uuid', nullable: true }) trunkId!: string | null;
  @Column({ name: 'from_number', type: 'text' }) fromNumber!: string;
  @Column({ name: 'to_number', type: 'text' }) toNumber!: string;
  @Column({ name: 'destination_country', type: 'char', length: 2, nullable: true }) destinationCountry!: string | null;
  @Column({ name: 'source_ip', type: 'text', nullable: true }) sourceIp!: string | null;
  @Column({ name: 'started_at', type: 'timestamptz' }) startedAt!: Date;
  @Column({ name: 'answered_at', type: 'timestamptz', nullable: true }) answeredAt!: Date | null;
  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true }) endedAt!: Date | null;
  @Column({ name: 'duration_seconds', type: 'int' }) durationSeconds!: number;
  @Column({ name: 'billable_seconds', type: 'int' }) billableSeconds!: number;
  @Column({ type: 'text' }) disposition!: CdrDisposition;
  @Column({ name: 'hangup_cause', type: 'text', nullable: true }) hangupCause!: string | null;
  @Column({ type: 'numeric', precision: 14, scale: 6, transformer: numericTransformer }) cost!: number;
  @Column({ name: 'policy_decision', type: 'text', nullable: true }) policyDecision!: string | null;
  @Column({ name: 'policy_rule_id', type: 'text', nullable: true }) policyRuleId!: string | null;
  /** The rule row that decided (PolicyDecision.decidingRuleId), beside the label in policy_rule_id. */
  @Column({ name: 'deciding_rule_id', type: 'uuid', nullable: true }) decidingRuleId!: string | null;
  /** Per-leg media quality when the call's media was anchored (null when it never was). */
  @Column({ name: 'media_quality', type: 'jsonb', nullable: true }) mediaQuality!: CdrMediaQuality | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

export type AlertSeverity = 'info' | 'warning' | 'critical';
export type AlertStatus = 'open' | 'acknowledged' | 'resolved';

@Entity({ name: 'alerts' })
export class AlertEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_alerts' }) id!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ name: 'device_id', type: 'uuid', nullable: true }) deviceId!: string | null;
  @Column({ type: 'text' }) kind!: string;
  @Column({ type: 'text' }) severity!: AlertSeverity;
  @Column({ type: 'text' }) status!: AlertStatus;
  @Column({ type: 'text' }) title!: string;
  @Column({ type: 'jsonb' }) details!: Record<string, unknown>;
  @Column({ name: 'acknowledged_by', type: 'uuid', nullable: true }) acknowledgedBy!: string | null;
  @Column({ name: 'acknowledged_at', type: 'timestamptz', nullable: true }) acknowledgedAt!: Date | null;
  @Column({ name: 'resolved_by', type: 'uuid', nullable: true }) resolvedBy!: string | null;
  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true }) resolvedAt!: Date | null;
  /** Findings with this key merge into the one unresolved alert that carries it (fraud alerts). */
  @Column({ name: 'dedupe_key', type: 'text', nullable: true }) dedupeKey!: string | null;
  @Column({ name: 'last_seen_at', type: 'timestamptz', nullable: true }) lastSeenAt!: Date | null;
  @Column({ type: 'int', default: 1 }) occurrences!: number;
  /** The latest call events that fed it (bounded), so a retried event is not counted again. */
  @Column({ name: 'event_ids', type: 'text', array: true, default: () => "'{}'" }) eventIds!: string[];
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

export type BanSource = 'manual' | 'scanner' | 'brute_force' | 'fraud';

/** A source-IP ban. tenant_id NULL is platform-wide (dropped at the SIP edge); otherwise the tenant's own. */
@Entity({ name: 'bans' })
export class BanEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_bans' }) id!: string;
  @Column({ name: 'tenant_id', type: 'uuid', nullable: true }) tenantId!: string | null;
  @Column({ type: 'text' }) ip!: string;
  @Column({ type: 'text' }) reason!: string;
  @Column({ type: 'text' }) source!: BanSource;
  @Column({ name: 'created_by', type: 'uuid', nullable: true }) createdBy!: string | null;
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true }) expiresAt!: Date | null;
  @Column({ name: 'lifted_at', type: 'timestamptz', nullable: true }) liftedAt!: Date | null;
  @Column({ name: 'lifted_by', type: 'uuid', nullable: true }) liftedBy!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
