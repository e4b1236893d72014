import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { numericTransformer } from './columns';

/** One per tenant; NULL limits mean "no limit". Loaded into libs/policy's PolicyData. */
@Entity({ name: 'fraud_policies' })
export class FraudPolicyEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid', primaryKeyConstraintName: 'pk_fraud_policies' }) tenantId!: string;
  @Column({ name: 'allow_high_risk', type: 'boolean' }) allowHighRisk!: boolean;
  @Column({ name: 'allow_fraud', type: 'boolean' }) allowFraud!: boolean;
  @Column({ name: 'max_duration_seconds', type: 'int', nullable: true }) maxDurationSeconds!: number | null;
  @Column({ name: 'max_concurrent', type: 'int', nullable: true }) maxConcurrent!: number | null;
  @Column({ name: 'max_calls_per_minute', type: 'int', nullable: true }) maxCallsPerMinute!: number | null;
  @Column({ name: 'max_calls_per_hour', type: 'int', nullable: true }) maxCallsPerHour!: number | null;
  @Column({ name: 'tenant_max_concurrent', type: 'int', nullable: true }) tenantMaxConcurrent!: number | null;
  @Column({ name: 'tenant_max_calls_per_minute', type: 'int', nullable: true }) tenantMaxCallsPerMinute!: number | null;
  @Column({ name: 'tenant_max_calls_per_hour', type: 'int', nullable: true }) tenantMaxCallsPerHour!: number | null;
  @Column({ name: 'daily_cap', type: 'numeric', precision: 14, scale: 4, nullable: true, transformer: numericTransformer })
  dailyCap!: number | null;
  @Column({ name: 'monthly_cap', type: 'numeric', precision: 14, scale: 4, nullable: true, transformer: numericTransformer })
  monthlyCap!: number | null;
  @Column({ name: 'daily_escalation', type: 'smallint' }) dailyEscalation!: number;
  @Column({ name: 'monthly_escalation', type: 'smallint' }) monthlyEscalation!: number;
  @Column({ name: 'step_up_first_calls', type: 'int', nullable: true }) stepUpFirstCalls!: number | null;
  @Column({ name: 'step_up_max_duration_seconds', type: 'int', nullable: true }) stepUpMaxDurationSeconds!: number | null;
  @Column({ name: 'wangiri_window_seconds', type: 'int', nullable: true }) wangiriWindowSeconds!: number | null;
  @Column({ name: 'intl_hours_days', type: 'int', array: true, nullable: true }) intlHoursDays!: number[] | null;
  @Column({ name: 'intl_hours_start', type: 'text', nullable: true }) intlHoursStart!: string | null;
  @Column({ name: 'intl_hours_end', type: 'text', nullable: true }) intlHoursEnd!: string | null;
  @Column({ name: 'emergency_numbers', type: 'text', array: true, nullable: true }) emergencyNumbers!: string[] | null;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity({ name: 'device_policy_overrides' })
export class DevicePolicyOverrideEntity {
  @PrimaryColumn({ name: 'device_id', type: 'uuid', primaryKeyConstraintName: 'pk_device_policy_overrides' }) deviceId!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ name: 'max_duration_seconds', type: 'int', nullable: true }) maxDurationSeconds!: number | null;
  @Column({ name: 'max_concurrent', type: 'int', nullable: true }) maxConcurrent!: number | null;
  @Column({ name: 'max_calls_per_minute', type: 'int', nullable: true }) maxCallsPerMinute!: number | null;
  @Column({ name: 'max_calls_per_hour', type: 'int', nullable: true }) maxCallsPerHour!: number | null;
  @Column({ name: 'step_up_enabled', type: 'boolean', nullable: true }) stepUpEnabled!: boolean | null;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

/** A prefix or country allow/deny, for the tenant (device_id NULL) or one device (an override). */
@Entity({ name: 'destination_rules' })
export class DestinationRuleEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_destination_rules' }) id!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ name: 'device_id', type: 'uuid', nullable: true }) deviceId!: string | null;
  @Column({ type: 'text' }) kind!: 'prefix' | 'country';
  @Column({ type: 'text', nullable: true }) prefix!: string | null;
  @Column({ type: 'char', length: 2, nullable: true }) country!: string | null;
  @Column({ type: 'text' }) action!: 'allow' | 'deny';
  @Column({ type: 'text', nullable: true }) note!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity({ name: 'rates' })
export class RateEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_rates' }) id!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ type: 'text' }) prefix!: string;
  @Column({ name: 'per_minute', type: 'numeric', precision: 12, scale: 6, transformer: numericTransformer }) perMinute!: number;
  @Column({ name: 'first_increment_seconds', type: 'int' }) firstIncrementSeconds!: number;
  @Column({ name: 'connection_fee', type: 'numeric', precision: 12, scale: 6, transformer: numericTransformer })
  connectionFee!: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

/** IP allow-lists and geo-blocks, for the tenant (device_id NULL) or one device. */
@Entity({ name: 'source_rules' })
export class SourceRuleEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_source_rules' }) id!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ name: 'device_id', type: 'uuid', nullable: true }) deviceId!: string | null;
  @Column({ type: 'text' }) kind!: 'cidr_allow' | 'country_allow' | 'country_deny';
  @Column({ type: 'text' }) value!: string;
  @Column({ name: 'applies_to', type: 'text' }) appliesTo!: 'registration' | 'call' | 'both';
  @Column({ type: 'text', nullable: true }) note!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
