import type { InvalidationPublisher } from '@pbx/common';
import type { PolicyDecision } from '@pbx/policy';
import type { AuditLogRepository, PolicyRepository } from '@pbx/database';
import type { PolicyCache } from './policy-cache';

export interface EnforcementDeps {
  policies: PolicyRepository;
  auditLog: AuditLogRepository;
  /** HMAC key of the audit chain. */
  auditKey: string;
  invalidation: Pick<InvalidationPublisher, 'publish'>;
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
  // The lock, its alert and its audit entry commit together: a crash leaves all three or none.
  const done = await deps.auditLog.withAudit(deps.auditKey, async (audit) => {
    const change =
      scope === 'tenant'
        ? await deps.policies.raiseTenantLock(tenantId, level, reason)
        : await deps.policies.setDeviceLock(tenantId, deviceId, level, reason, true);
    if (!change) return null;
    const details = {
      rule_id: decision.ruleId,
      deciding_rule_id: decision.decidingRuleId ?? null,
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
    audit.record({
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
    return { change, alert };
  });
  if (!done) return { raised: false, scope };
  const { change, alert } = done;
  deps.cache?.drop(tenantId);
  await deps.invalidation.publish('policy', tenantId, scope === 'device' ? deviceId : null);
  return { raised: true, scope, previousLevel: change.previous, level: change.current, alertId: alert.id };
}
