import { isUuid } from '@pbx/common';
import { Inject, Injectable } from '@nestjs/common';
import { AuditLogEntity, AuditLogRepository, ListQuery, Page } from '@pbx/database';
import { API_CONFIG, ApiConfig } from '../config/api-config';
import type { Principal } from '../auth/principal';
import { FieldErrors, unprocessable } from '../http/validation';
import type { AuditVerificationResource } from './dto/audit-log.dto';

const RESULTS = ['success', 'failure', 'denied'];

const DAY_MS = 86_400_000;

/** A bare date as `to` means the whole of that day (UTC), as a reader of "to 2026-11-22" expects. */
function parseDate(raw: string | undefined, field: 'from' | 'to', errors: FieldErrors): Date | undefined {
  if (raw === undefined) return undefined;
  // An unencoded '+01:00' arrives as ' 01:00': form decoding turns '+' into a space.
  const v = raw.replace(/ (\d{2}:\d{2})$/, '+$1');
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(v);
  const ok = dateOnly || /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/.test(v);
  const d = ok ? new Date(v) : new Date(NaN);
  if (Number.isNaN(d.getTime())) {
    errors[`filter.${field}`] = [`The filter.${field} field must be a valid ISO 8601 date.`];
    return undefined;
  }
  return dateOnly && field === 'to' ? new Date(d.getTime() + DAY_MS - 1) : d;
}

/** Reads and verifies the caller's own tenant chain; no one reads another tenant's log. */
@Injectable()
export class AuditLogService {
  constructor(
    private readonly repo: AuditLogRepository,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  list(p: Principal, q: ListQuery): Promise<Page<AuditLogEntity>> {
    const errors: FieldErrors = {};
    const { from: fromRaw, to: toRaw, ...filters } = q.filters;
    const from = parseDate(fromRaw, 'from', errors);
    const to = parseDate(toRaw, 'to', errors);
    if (filters.actor_user_id !== undefined && !isUuid(filters.actor_user_id)) {
      errors['filter.actor_user_id'] = ['The filter.actor_user_id field must be a valid UUID.'];
    }
    if (filters.result !== undefined && !RESULTS.includes(filters.result)) {
      errors['filter.result'] = [`The selected filter.result is invalid. Allowed: ${RESULTS.join(', ')}.`];
    }
    if (Object.keys(errors).length) throw unprocessable(errors);
    return this.repo.list(p.tenantId, { ...q, filters, from, to });
  }

  async verify(p: Principal): Promise<AuditVerificationResource> {
    const { checked, firstBreak } = await this.repo.verify(this.config.AUDIT_HMAC_KEY, p.tenantId);
    return {
      valid: firstBreak === null,
      checked,
      first_broken_id: firstBreak?.id ?? null,
      reason: firstBreak?.reason ?? null,
    };
  }
}
