import { ApiProperty } from '@nestjs/swagger';
import type {
  DestinationRuleEntity,
  DevicePolicyOverrideEntity,
  DevicePolicyRow,
  FraudPolicyEntity,
  RateEntity,
  SourceRuleEntity,
  TenantPolicyContext,
} from '@pbx/database';

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

export class BusinessHoursResource {
  @ApiProperty({ type: Number, isArray: true }) days!: number[];
  @ApiProperty() start!: string;
  @ApiProperty() end!: string;
}

export class PolicyResource {
  @ApiProperty({ format: 'uuid' }) tenant_id!: string;
  @ApiProperty({ minimum: 0, maximum: 3 }) lock_level!: number;
  @ApiProperty({ type: String, nullable: true }) lock_reason!: string | null;
  @ApiProperty() allow_high_risk!: boolean;
  @ApiProperty() allow_fraud!: boolean;
  @ApiProperty({ type: Number, nullable: true }) max_duration_seconds!: number | null;
  @ApiProperty({ type: Number, nullable: true }) max_concurrent!: number | null;
  @ApiProperty({ type: Number, nullable: true }) max_calls_per_minute!: number | null;
  @ApiProperty({ type: Number, nullable: true }) max_calls_per_hour!: number | null;
  @ApiProperty({ type: Number, nullable: true }) tenant_max_concurrent!: number | null;
  @ApiProperty({ type: Number, nullable: true }) tenant_max_calls_per_minute!: number | null;
  @ApiProperty({ type: Number, nullable: true }) tenant_max_calls_per_hour!: number | null;
  @ApiProperty({ type: Number, nullable: true }) daily_cap!: number | null;
  @ApiProperty({ type: Number, nullable: true }) monthly_cap!: number | null;
  @ApiProperty() daily_escalation!: number;
  @ApiProperty() monthly_escalation!: number;
  @ApiProperty({ type: Number, nullable: true }) step_up_first_calls!: number | null;
  @ApiProperty({ type: Number, nullable: true }) step_up_max_duration_seconds!: number | null;
  @ApiProperty({ type: Number, nullable: true }) wangiri_window_seconds!: number | null;
  @ApiProperty({ type: BusinessHoursResource, nullable: true }) international_hours!: BusinessHoursResource | null;
  @ApiProperty({ type: String, isArray: true, nullable: true }) emergency_numbers!: string[] | null;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export function presentPolicy(p: FraudPolicyEntity, tenant: TenantPolicyContext): PolicyResource {
  return {
    tenant_id: p.tenantId,
    lock_level: tenant.lockLevel,
    lock_reason: tenant.lockReason,
    allow_high_risk: p.allowHighRisk,
    allow_fraud: p.allowFraud,
    max_duration_seconds: p.maxDurationSeconds,
    max_concurrent: p.maxConcurrent,
    max_calls_per_minute: p.maxCallsPerMinute,
    max_calls_per_hour: p.maxCallsPerHour,
    tenant_max_concurrent: p.tenantMaxConcurrent,
    tenant_max_calls_per_minute: p.tenantMaxCallsPerMinute,
    tenant_max_calls_per_hour: p.tenantMaxCallsPerHour,
    daily_cap: p.dailyCap,
    monthly_cap: p.monthlyCap,
    daily_escalation: p.dailyEscalation,
    monthly_escalation: p.monthlyEscalation,
    step_up_first_calls: p.stepUpFirstCalls,
    step_up_max_duration_seconds: p.stepUpMaxDurationSeconds,
    wangiri_window_seconds: p.wangiriWindowSeconds,
    international_hours:
      p.intlHoursStart !== null && p.intlHoursEnd !== null
        ? { days: p.intlHoursDays ?? [0, 1, 2, 3, 4, 5, 6], start: p.intlHoursStart, end: p.intlHoursEnd }
        : null,
    emergency_numbers: p.emergencyNumbers,
    updated_at: p.updatedAt.toISOString(),
  };
}

export class DestinationRuleResource {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) device_id!: string | null;
  @ApiProperty({ enum: ['prefix', 'country'] }) kind!: string;
  @ApiProperty({ type: String, nullable: true, example: '+447' }) prefix!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'GB' }) country!: string | null;
  @ApiProperty({ enum: ['allow', 'deny'] }) action!: string;
  @ApiProperty({ type: String, nullable: true }) note!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export function presentDestinationRule(r: DestinationRuleEntity): DestinationRuleResource {
  return {
    id: r.id,
    device_id: r.deviceId,
    kind: r.kind,
    prefix: r.prefix,
    country: r.country,
    action: r.action,
    note: r.note,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

export class SourceRuleResource {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) device_id!: string | null;
  @ApiProperty({ enum: ['cidr_allow', 'country_allow', 'country_deny'] }) kind!: string;
  @ApiProperty({ example: '203.0.113.0/24' }) value!: string;
  @ApiProperty({ enum: ['registration', 'call', 'both'] }) applies_to!: string;
  @ApiProperty({ type: String, nullable: true }) note!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export function presentSourceRule(r: SourceRuleEntity): SourceRuleResource {
  return {
    id: r.id,
    device_id: r.deviceId,
    kind: r.kind,
    value: r.value,
    applies_to: r.appliesTo,
    note: r.note,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

export class RateResource {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: '+44' }) prefix!: string;
  @ApiProperty() per_minute!: number;
  @ApiProperty() first_increment_seconds!: number;
  @ApiProperty() connection_fee!: number;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export function presentRate(r: RateEntity): RateResource {
  return {
    id: r.id,
    prefix: r.prefix,
    per_minute: r.perMinute,
    first_increment_seconds: r.firstIncrementSeconds,
    connection_fee: r.connectionFee,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

export class DevicePolicyResource {
  @ApiProperty({ format: 'uuid' }) device_id!: string;
  @ApiProperty({ minimum: 0, maximum: 3 }) lock_level!: number;
  @ApiProperty({ type: String, nullable: true }) lock_reason!: string | null;
  @ApiProperty({ enum: ['active', 'suspended', 'locked'] }) status!: string;
  @ApiProperty({ type: Number, nullable: true }) max_duration_seconds!: number | null;
  @ApiProperty({ type: Number, nullable: true }) max_concurrent!: number | null;
  @ApiProperty({ type: Number, nullable: true }) max_calls_per_minute!: number | null;
  @ApiProperty({ type: Number, nullable: true }) max_calls_per_hour!: number | null;
  @ApiProperty({ type: Boolean, nullable: true }) step_up_enabled!: boolean | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'null: no override, the tenant policy applies' })
  updated_at!: string | null;
}

export function presentDevicePolicy(d: DevicePolicyRow, o: DevicePolicyOverrideEntity | null): DevicePolicyResource {
  return {
    device_id: d.id,
    lock_level: d.lockLevel,
    lock_reason: d.lockReason,
    status: d.status,
    max_duration_seconds: o?.maxDurationSeconds ?? null,
    max_concurrent: o?.maxConcurrent ?? null,
    max_calls_per_minute: o?.maxCallsPerMinute ?? null,
    max_calls_per_hour: o?.maxCallsPerHour ?? null,
    step_up_enabled: o?.stepUpEnabled ?? null,
    updated_at: iso(o?.updatedAt),
  };
}
