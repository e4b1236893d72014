import { Injectable, NotFoundException } from '@nestjs/common';
import {
  foreignKeyViolation,
  ListQuery,
  NumberAssignmentEntity,
  NumberAssignmentsRepository,
  Page,
  TenantsRepository,
  uniqueViolation,
} from '@pbx/database';
import { AuditService } from '../audit/audit.service';
import type { Principal, RequestMeta } from '../auth/principal';
import { unprocessable } from '../http/validation';

const TAKEN = 'The number is already assigned to a tenant.';

/**
 * Public numbers belong to the platform, which assigns each to one tenant: a tenant's DID can use
 * only a number assigned to it (fk_dids_number), so no tenant claims a number another tenant's
 * carrier delivers. Tenants see their own numbers; platform admins assign and release them.
 */
@Injectable()
export class NumbersService {
  constructor(
    private readonly numbers: NumberAssignmentsRepository,
    private readonly tenants: TenantsRepository,
    private readonly audit: AuditService,
  ) {}

  async list(p: Principal, tenantId: string, q: ListQuery): Promise<Page<NumberAssignmentEntity>> {
    await this.tenantVisible(p, tenantId);
    return this.numbers.list(tenantId, q);
  }

  async assign(p: Principal, tenantId: string, number: string, meta: RequestMeta): Promise<NumberAssignmentEntity> {
    await this.tenantVisible(p, tenantId);
    return this.audit.change(async () => {
      if (await this.numbers.find(number)) throw unprocessable({ number: [TAKEN] });
      const assigned = await this.numbers.assign(tenantId, number, p.userId).catch((err: unknown) => {
        if (uniqueViolation(err) === 'pk_number_assignments') throw unprocessable({ number: [TAKEN] });
        throw err;
      });
      await this.record(p, tenantId, 'number.assigned', number, meta);
      return assigned;
    });
  }

  async release(p: Principal, tenantId: string, number: string, meta: RequestMeta): Promise<void> {
    await this.tenantVisible(p, tenantId);
    return this.audit.change(async () => {
      const released = await this.numbers.release(tenantId, number).catch((err: unknown) => {
        if (foreignKeyViolation(err) === 'fk_dids_number')
          throw unprocessable({ number: ['The number is in use by a DID of the tenant; delete the DID first.'] });
        throw err;
      });
      if (!released) throw new NotFoundException();
      await this.record(p, tenantId, 'number.released', number, meta);
    });
  }

  /** Another tenant is answered exactly as one that does not exist. */
  private async tenantVisible(p: Principal, tenantId: string): Promise<void> {
    const visible = p.permissions.has('numbers.assign') || tenantId === p.tenantId;
    if (!visible || !(await this.tenants.findById(tenantId))) throw new NotFoundException();
  }

  /** In the platform admin's chain and in the tenant's, so its own auditors see which numbers it got. */
  private async record(p: Principal, tenantId: string, action: string, number: string, meta: RequestMeta) {
    const event = {
      action,
      result: 'success' as const,
      actor: p,
      target: { type: 'number', id: number },
      meta,
      details: { tenant_id: tenantId },
    };
    await this.audit.record({ ...event, tenantId: p.tenantId });
    if (tenantId !== p.tenantId) await this.audit.record({ ...event, tenantId });
  }
}
