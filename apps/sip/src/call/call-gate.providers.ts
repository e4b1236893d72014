import type { Provider } from '@nestjs/common';
import { AuthoriseCallUseCase, CallCounters, enforceDecision, PolicyCache, PolicyEvaluator, type EnforcementTarget } from '@pbx/call-control';
import { publishInvalidation, type InvalidationKind } from '@pbx/common';
import { AuditLogRepository, PolicyLoader, PolicyRepository } from '@pbx/database';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { SIP_CONFIG, type SipConfig } from '../config/sip-config';
import { SIP_LOGGER, SIP_REDIS } from '../sip.tokens';
import type { CallGuardDeps } from './call-guard';

/** Raises a crossed cap's lock level: the lock, its alert and its audit entry (enforceDecision). */
export const CALL_ESCALATE = Symbol('CALL_ESCALATE');
export type CallEscalate = (target: EnforcementTarget) => Promise<unknown>;
export const CALL_GUARD_DEPS = Symbol('CALL_GUARD_DEPS');

/** A short backstop: the API's invalidation messages drop a tenant's policy at once. */
const POLICY_CACHE_TTL_MS = 15_000;

/** The fraud gate of the SIP app: the same policy cache, evaluator and use case as the API's simulator. */
export const callGateProviders: Provider[] = [
  PolicyLoader,
  { provide: PolicyCache, useFactory: (loader: PolicyLoader) => new PolicyCache(loader, { ttlMs: POLICY_CACHE_TTL_MS }), inject: [PolicyLoader] },
  { provide: CallCounters, useFactory: (redis: Redis) => new CallCounters(redis), inject: [SIP_REDIS] },
  {
    provide: CALL_ESCALATE,
    useFactory:
      (c: SipConfig, redis: Redis, policies: PolicyRepository, auditLog: AuditLogRepository, cache: PolicyCache, logger: Logger): CallEscalate =>
      async (target) => {
        const deps = {
          policies,
          auditLog,
          auditKey: c.AUDIT_HMAC_KEY,
          invalidation: { publish: (kind: InvalidationKind, tenantId: string | null, id: string | null = null) => publishInvalidation(redis, kind, tenantId, id) },
          cache,
        };
        const done = await enforceDecision(deps, target).catch((err: unknown) => {
          logger.error({ err, tenantId: target.tenantId, rule: target.decision.ruleId }, 'lock escalation failed');
          return null;
        });
        if (done?.raised) logger.warn({ tenantId: target.tenantId, rule: target.decision.ruleId, level: done.level }, 'lock level escalated');
        return done;
      },
    inject: [SIP_CONFIG, SIP_REDIS, PolicyRepository, AuditLogRepository, PolicyCache, SIP_LOGGER],
  },
  {
    provide: AuthoriseCallUseCase,
    useFactory: (c: SipConfig, cache: PolicyCache, counters: CallCounters, redis: Redis, escalate: CallEscalate) =>
      new AuthoriseCallUseCase(new PolicyEvaluator(cache, redis), counters, redis, { leaseMs: c.SIP_CALL_LEASE_SECONDS * 1000, escalate }),
    inject: [SIP_CONFIG, PolicyCache, CallCounters, SIP_REDIS, CALL_ESCALATE],
  },
  {
    provide: CALL_GUARD_DEPS,
    useFactory: (c: SipConfig, counters: CallCounters, escalate: CallEscalate): CallGuardDeps => ({
      counters,
      escalate,
      leaseMs: c.SIP_CALL_LEASE_SECONDS * 1000,
      accrualMs: c.SIP_SPEND_ACCRUAL_MS,
    }),
    inject: [SIP_CONFIG, CallCounters, CALL_ESCALATE],
  },
];
