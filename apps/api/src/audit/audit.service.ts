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

  /** Records an event. A failure to audit is logged loudly, and rethrown: a change we can't audit is a change we don't make. */
  async record(e: AuditEvent): Promise<void> {
    try {
      await this.repo.append(this.config.AUDIT_HMAC_KEY, {
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
      });
    } catch (err) {
      this.logger.error({ err, action: e.action }, 'audit write failed');
      throw err;
    }
  }
}
