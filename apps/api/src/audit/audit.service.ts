import { Inject, Injectable } from '@nestjs/common';
import { AuditLogRepository, AuditResult } from '@pbx/database';
import { Logger } from 'pino';
import { API_CONFIG, ApiConfig } from '../config/api-config';
import { APP_LOGGER } from '../logging';
import type { Principal, RequestMeta } from '../auth/principal';

export interface AuditEvent {
  action: string;
  result: AuditResult;
  tenantId: string | null;
  actor?: Pick<Principal, 'userId'> | { userId: string | null } | null;
  actorEmail?: string | null;
  target?: { type: string; id: string | null } | null;
  meta?: RequestMeta | null;
  /** Non-secret context only: field names changed, reasons, counts. Never passwords, tokens or hashes. */
  details?: Record<string, unknown>;
}

@Injectable()
export class AuditService {
  constructor(
    private readonly repo: AuditLogRepository,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Runs a change so that it and every event `record`ed while it runs commit in one transaction
   * (AuditLogRepository.withAudit): if the audit write fails, the change rolls back, and the
   * reverse. Record denials and failures outside it: an error thrown here undoes them too.
   */
  change<T>(work: () => Promise<T>): Promise<T> {
    return this.repo.withAudit(this.config.AUDIT_HMAC_KEY, () => work());
  }

  /**
   * Records an event, with the change in progress when called inside `change`, else on its own.
   * A failure to audit is logged loudly and rethrown: a change we can't audit is a change we don't make.
   */
  async record(e: AuditEvent): Promise<void> {
    try {
      const entry = {
        tenantId: e.tenantId,
        actorUserId: e.actor?.userId ?? null,
        actorEmail: e.actorEmail ?? null,
        action: e.action,
        targetType: e.target?.type ?? null,
        targetId: e.target?.id ?? null,
        ip: e.meta?.ip ?? null,
        userAgent: e.meta?.userAgent ?? null,
        result: e.result,
        metadata: e.details ?? {},
      };
      // A denial or failure is recorded even though the error that follows rolls back any change.
      await this.repo.append(this.config.AUDIT_HMAC_KEY, entry, { independent: e.result !== 'success' });
    } catch (err) {
      this.logger.error({ err, action: e.action }, 'audit write failed');
      throw err;
    }
  }
}
