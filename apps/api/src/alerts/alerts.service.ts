import { isUuid } from '@pbx/common';
import { Injectable, NotFoundException } from '@nestjs/common';
import {
  AlertEntity,
  AlertFilters,
  AlertsRepository,
  AlertStatus,
  AlertTransition,
  ListQuery,
  Page,
} from '@pbx/database';
import { AuditService } from '../audit/audit.service';
import type { Principal, RequestMeta } from '../auth/principal';
import { FieldErrors, unprocessable } from '../http/validation';

const STATUSES: readonly AlertStatus[] = ['open', 'acknowledged', 'resolved'];
const SEVERITIES = ['info', 'warning', 'critical'] as const;

/** The state machine: open → acknowledged → resolved, and open → resolved. Nothing leaves resolved. */
const ALLOWED_FROM: Record<AlertTransition, readonly AlertStatus[]> = {
  acknowledged: ['open'],
  resolved: ['open', 'acknowledged'],
};

export const ALERT_FILTERABLE = ['status', 'severity', 'kind', 'device_id'] as const;

export function parseAlertFilters(raw: Record<string, string>): AlertFilters {
  const errors: FieldErrors = {};
  const out: AlertFilters = {};
  if (raw.status !== undefined) {
    if ((STATUSES as readonly string[]).includes(raw.status)) out.status = raw.status as AlertStatus;
    else
      errors['filter.status'] = [`The selected filter status is invalid. Allowed: ${STATUSES.join(', ')}.`];
  }
  if (raw.severity !== undefined) {
    const s = SEVERITIES.find((v) => v === raw.severity);
    if (s) out.severity = s;
    else
      errors['filter.severity'] = [
        `The selected filter severity is invalid. Allowed: ${SEVERITIES.join(', ')}.`,
      ];
  }
  if (raw.kind !== undefined) out.kind = raw.kind;
  if (raw.device_id !== undefined) {
    if (isUuid(raw.device_id)) out.deviceId = raw.device_id.toLowerCase();
    else errors['filter.device_id'] = ['The filter device_id must be a valid UUID.'];
  }
  if (Object.keys(errors).length) throw unprocessable(errors);
  return out;
}

@Injectable()
export class AlertsService {
  constructor(
    private readonly alerts: AlertsRepository,
    private readonly audit: AuditService,
  ) {}

  list(p: Principal, filters: AlertFilters, q: ListQuery): Promise<Page<AlertEntity>> {
    return this.alerts.list(p.tenantId, filters, q);
  }

  async get(p: Principal, id: string): Promise<AlertEntity> {
    const alert = await this.alerts.findInTenant(p.tenantId, id);
    if (!alert) throw new NotFoundException();
    return alert;
  }

  /**
   * Applies one transition atomically (the repository's conditional UPDATE), so two people acting at
   * once cannot both succeed. A transition the state machine does not allow is a 422 naming the state.
   */
  async transition(p: Principal, id: string, to: AlertTransition, meta: RequestMeta): Promise<AlertEntity> {
    return this.audit.change(async () => {
      const before = await this.get(p, id);
      const updated = await this.alerts.transition(p.tenantId, id, ALLOWED_FROM[to], to, p.userId);
      if (!updated) {
        const current = (await this.get(p, id)).status;
        throw unprocessable({ status: [`An alert that is ${current} cannot be ${to}.`] });
      }
      await this.audit.record({
        tenantId: p.tenantId,
        actor: p,
        target: { type: 'alert', id },
        meta,
        action: `alert.${to}`,
        result: 'success',
        details: { from: before.status, to, kind: before.kind, severity: before.severity },
      });
      return updated;
    });
  }
}
