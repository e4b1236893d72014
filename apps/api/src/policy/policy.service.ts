import { Injectable, NotFoundException } from '@nestjs/common';
import { FraudPolicyEntity, FraudPolicyPatch, PolicyRepository, TenantPolicyContext } from '@pbx/database';
import { AuditService } from '../audit/audit.service';
import type { Principal, RequestMeta } from '../auth/principal';
import { unprocessable } from '../http/validation';
import type { LockLevelDto, UpdatePolicyDto } from './dto/policy.dto';
import { auditBase, changedFields } from './policy-audit';
import { PolicyRuntime } from './policy-runtime.service';

export interface TenantPolicy {
  policy: FraudPolicyEntity;
  tenant: TenantPolicyContext;
}

const SIMPLE_FIELDS = {
  allow_high_risk: 'allowHighRisk',
  allow_fraud: 'allowFraud',
  max_duration_seconds: 'maxDurationSeconds',
  max_concurrent: 'maxConcurrent',
  max_calls_per_minute: 'maxCallsPerMinute',
  max_calls_per_hour: 'maxCallsPerHour',
  tenant_max_concurrent: 'tenantMaxConcurrent',
  tenant_max_calls_per_minute: 'tenantMaxCallsPerMinute',
  tenant_max_calls_per_hour: 'tenantMaxCallsPerHour',
  daily_cap: 'dailyCap',
  monthly_cap: 'monthlyCap',
  daily_escalation: 'dailyEscalation',
  monthly_escalation: 'monthlyEscalation',
  step_up_first_calls: 'stepUpFirstCalls',
  step_up_max_duration_seconds: 'stepUpMaxDurationSeconds',
  wangiri_window_seconds: 'wangiriWindowSeconds',
  emergency_numbers: 'emergencyNumbers',
} as const satisfies Partial<Record<keyof UpdatePolicyDto, keyof FraudPolicyPatch>>;

function toPatch(dto: UpdatePolicyDto): FraudPolicyPatch {
  const patch: Record<string, unknown> = {};
  for (const [field, prop] of Object.entries(SIMPLE_FIELDS)) {
    const value = dto[field as keyof typeof SIMPLE_FIELDS];
    if (value !== undefined) patch[prop] = value;
  }
  if (dto.international_hours === null) {
    Object.assign(patch, { intlHoursDays: null, intlHoursStart: null, intlHoursEnd: null });
  } else if (dto.international_hours) {
    const { days, start, end } = dto.international_hours;
    Object.assign(patch, { intlHoursDays: [...days].sort(), intlHoursStart: start, intlHoursEnd: end });
  }
  return patch as FraudPolicyPatch;
}

/** The tenant's fraud policy row and its lock level. */
@Injectable()
export class PolicyService {
  constructor(
    private readonly policies: PolicyRepository,
    private readonly runtime: PolicyRuntime,
    private readonly audit: AuditService,
  ) {}

  async get(p: Principal): Promise<TenantPolicy> {
    const tenant = await this.policies.tenantContext(p.tenantId);
    if (!tenant) throw new NotFoundException();
    return { policy: await this.policies.getOrCreatePolicy(p.tenantId), tenant };
  }

  async update(p: Principal, dto: UpdatePolicyDto, meta: RequestMeta): Promise<TenantPolicy> {
    return this.audit.change(async () => {
      const { policy: before } = await this.get(p);
      const patch = toPatch(dto);
      const merged = { ...before, ...patch };
      if ((merged.stepUpFirstCalls ?? 0) > 0 && merged.stepUpMaxDurationSeconds === null) {
        throw unprocessable({
          step_up_max_duration_seconds: ['The step_up_max_duration_seconds field is required when step-up is on.'],
        });
      }
      const fields = changedFields(before, patch);
      if (fields.length === 0) return this.get(p);
      await this.policies.updatePolicy(p.tenantId, patch);
      await this.audit.record({ ...auditBase(p, 'fraud_policy', p.tenantId, meta), action: 'policy.updated', details: { fields } });
      await this.runtime.changed(p.tenantId);
      return this.get(p);
    });
  }

  /** An admin sets the level either way; lowering it is how a spend-cap escalation is undone. */
  async setTenantLock(p: Principal, dto: LockLevelDto, meta: RequestMeta): Promise<TenantPolicy> {
    return this.audit.change(async () => {
      const reason = dto.level > 0 ? dto.reason || null : null;
      const change = await this.policies.setTenantLock(p.tenantId, dto.level, reason);
      if (!change) throw new NotFoundException();
      await this.audit.record({
        ...auditBase(p, 'tenant', p.tenantId, meta),
        action: 'policy.lock_level.changed',
        details: { from: change.previous, to: change.current, reason },
      });
      await this.runtime.changed(p.tenantId);
      return this.get(p);
    });
  }
}
