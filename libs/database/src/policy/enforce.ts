import { publishInvalidation } from '@pbx/common';
import type { PolicyDecision } from '@pbx/policy';
import type Redis from 'ioredis';
import type { AuditLogRepository } from '../repositories/audit-log.repository';
import type { PolicyRepository } from '../repositories/policy.repository';
import type { PolicyCache } from './policy-cache';

export interface EnforcementDeps {
  policies: PolicyRepository;
  auditLog: AuditLogRepository;
  /** HMAC key of the audit chain. */
  auditKey: string;
  redis: Redis;
  /** The caller's own cache, dropped at once rather than when its invalidation message arrives. */
  cache?: PolicyCache;
}

export interface EnforcementTarget {
  tenantId: string;
  deviceId: string;
  decision: PolicyDecision;
  /** Whose lock level the escalation raises; spend caps are the tenant's, so the tenant by default. */
  scope?: 'tenant' | 'device';
}

export interface Enforcement {
  raised: boolean;
  scope: 'tenant' | 'device';
  previousLevel?: number;
  level?: number;
  alertId?: string;
}

export const SPEND_CAP_ALERT = 'spend_cap';

/**
 * Acts on a decision's side effects. Today that is the spend-cap escalation: the lock level is
 * raised (never lowered; only an admin lowers it, through the lock-level endpoint), and only the
 * call that actually raised it records the critical alert and the audit entry, so a burst of
 * capped calls yields one alert, not one per call. Every running SIP process then drops its
 * cached policy through the invalidation message.
 */
export async function enforceDecision(deps: EnforcementDeps, target: EnforcementTarget): Promise<Enforcement> {
  const scope = target.scope ?? 'tenant';
  const level = target.decision.escalateLockLevel;
  if (level === undefined || level <= 0) return { raised: false, scope };
  const { decision, tenantId, deviceId } = target;
  const reason = `${decision.ruleId}: ${decision.reason}`.slice(0, 500);
  const change =
    scope === 'tenant'
      ? await deps.policies.raiseTenantLock(tenantId, level, reason)
      : await deps.policies.setDeviceLock(tenantId, deviceId, level, reason, true);
  if (!change) return { raised: false, scope };

  const details = {
    rule_id: decision.ruleId,
    reason: decision.reason,
    scope,
    device_id: deviceId,
    previous_lock_level: change.previous,
    lock_level: change.current,
    estimated_cost: decision.estimatedCost ?? null,
  };
  const alert = await deps.policies.insertAlert({
    tenantId,
    deviceId: scope === 'device' ? deviceId : null,
    kind: SPEND_CAP_ALERT,
    severity: 'critical',
    title: `Spend cap crossed: ${scope} locked at level ${change.current}`,
    details,
  });
  await deps.auditLog.append(deps.auditKey, {
    tenantId,
    actorUserId: null,
    actorEmail: null,
    action: 'policy.lock_escalated',
    targetType: scope,
    targetId: scope === 'tenant' ? tenantId : deviceId,
    ip: null,
    userAgent: 'system',
    result: 'success',
    metadata: { ...details, alert_id: alert.id },
  });
  deps.cache?.drop(tenantId);
  await publishInvalidation(deps.redis, 'policy', tenantId, scope === 'device' ? deviceId : null);
  return { raised: true, scope, previousLevel: change.previous, level: change.current, alertId: alert.id };
}
