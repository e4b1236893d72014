import { Injectable } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import { AlertEntity, AlertSeverity, AlertStatus } from '../entities';
import { ListQuery, Page } from '../list-query';
import { managerOf } from '../unit-of-work';

const SORTABLE: Record<string, string> = { created_at: 'createdAt', status: 'status', kind: 'kind' };

export interface AlertFilters {
  status?: AlertStatus;
  severity?: AlertSeverity;
  kind?: string;
  deviceId?: string;
}

export type AlertInsert = Pick<AlertEntity, 'tenantId' | 'kind' | 'severity' | 'title'> &
  Partial<Pick<AlertEntity, 'deviceId' | 'details' | 'status'>>;

export type AlertTransition = 'acknowledged' | 'resolved';

@Injectable()
export class AlertsRepository {
  constructor(private readonly ds: DataSource) {}

  private get repo(): Repository<AlertEntity> {
    return managerOf(this.ds).getRepository(AlertEntity);
  }

  /** For the fraud worker and the SIP app, which raise alerts. */
  insert(row: AlertInsert): Promise<AlertEntity> {
    return this.repo.save(this.repo.create({ status: 'open', details: {}, deviceId: null, ...row }));
  }

  findInTenant(tenantId: string, id: string): Promise<AlertEntity | null> {
    return this.repo.findOneBy({ tenantId, id });
  }

  async list(tenantId: string, f: AlertFilters, q: ListQuery): Promise<Page<AlertEntity>> {
    const qb = this.repo.createQueryBuilder('a').where('a.tenantId = :tenantId', { tenantId });
    if (f.status) qb.andWhere('a.status = :status', { status: f.status });
    if (f.severity) qb.andWhere('a.severity = :severity', { severity: f.severity });
    if (f.kind) qb.andWhere('a.kind = :kind', { kind: f.kind });
    if (f.deviceId) qb.andWhere('a.deviceId = :deviceId', { deviceId: f.deviceId });
    for (const s of q.sort) if (SORTABLE[s.field]) qb.addOrderBy(`a.${SORTABLE[s.field]}`, s.direction);
    qb.addOrderBy('a.id', 'ASC');
    const [items, total] = await qb
      .skip((q.page - 1) * q.perPage)
      .take(q.perPage)
      .getManyAndCount();
    return { items, total };
  }

  /**
   * Moves an alert to `to` only if it is currently in one of `from`, in one statement, so two
   * people acting at once cannot both succeed. Returns the updated alert, or null if it was not
   * in an allowed state (or does not exist in the tenant).
   */
  async transition(
    tenantId: string,
    id: string,
    from: readonly AlertStatus[],
    to: AlertTransition,
    byUserId: string,
  ): Promise<AlertEntity | null> {
    const set =
      to === 'acknowledged'
        ? 'acknowledged_by = $4, acknowledged_at = now()'
        : 'resolved_by = $4, resolved_at = now()';
    const [rows]: [Array<{ id: string }>, number] = await managerOf(this.ds).query(
      `UPDATE alerts SET status = $3, ${set} WHERE tenant_id = $1 AND id = $2 AND status = ANY($5) RETURNING id`,
      [tenantId, id, to, byUserId, [...from]],
    );
    return rows.length ? this.findInTenant(tenantId, id) : null;
  }
}

export const ALERT_SORTABLE = Object.keys(SORTABLE);
