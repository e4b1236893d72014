import { Injectable } from '@nestjs/common';
import { DataSource, Repository, SelectQueryBuilder } from 'typeorm';
import { CdrDirection, CdrDisposition, CdrEntity } from '../entities';
import { ListQuery, Page } from '../list-query';
import { managerOf } from '../unit-of-work';

const SORTABLE: Record<string, string> = {
  started_at: 'startedAt',
  duration_seconds: 'durationSeconds',
  cost: 'cost',
};

/** Already validated by the caller: ids are uuids, the enums are members, the dates are dates. */
export interface CdrFilters {
  deviceId?: string;
  extensionId?: string;
  direction?: CdrDirection;
  destinationCountry?: string;
  disposition?: CdrDisposition;
  /** started_at >= from */
  from?: Date;
  /** started_at < to */
  to?: Date;
}

export type CdrInsert = Pick<
  CdrEntity,
  'tenantId' | 'callId' | 'direction' | 'fromNumber' | 'toNumber' | 'startedAt' | 'disposition'
> &
  Partial<
    Pick<
      CdrEntity,
      | 'deviceId'
      | 'extensionId'
      | 'trunkId'
      | 'destinationCountry'
      | 'sourceIp'
      | 'answeredAt'
      | 'endedAt'
      | 'durationSeconds'
      | 'billableSeconds'
      | 'hangupCause'
      | 'cost'
      | 'policyDecision'
      | 'policyRuleId'
      | 'decidingRuleId'
      | 'mediaQuality'
    >
  >;

/** Where an export batch left off: the last row's started_at (as Postgres spelled it, microseconds kept) and id. */
export interface CdrCursor {
  startedAt: string;
  id: string;
}

@Injectable()
export class CdrsRepository {
  constructor(private readonly ds: DataSource) {}

  private get repo(): Repository<CdrEntity> {
    return managerOf(this.ds).getRepository(CdrEntity);
  }

  /**
   * Writes one call's record. Idempotent on (tenant, Call-ID), so the SIP app may retry after a
   * timeout without writing the call twice: the row already stored is returned instead.
   */
  async insert(row: CdrInsert): Promise<CdrEntity> {
    const res = await this.repo
      .createQueryBuilder()
      .insert()
      .values(row)
      .orIgnore()
      .returning('id')
      .execute();
    const id = (res.raw as Array<{ id: string }>)[0]?.id;
    const saved = id
      ? await this.repo.findOneBy({ id })
      : await this.repo.findOneBy({ tenantId: row.tenantId, callId: row.callId });
    if (!saved) throw new Error('CDR vanished right after insert');
    return saved;
  }

  findInTenant(tenantId: string, id: string): Promise<CdrEntity | null> {
    return this.repo.findOneBy({ tenantId, id });
  }

  async list(tenantId: string, filters: CdrFilters, q: ListQuery): Promise<Page<CdrEntity>> {
    const qb = this.filtered(tenantId, filters);
    for (const s of q.sort) if (SORTABLE[s.field]) qb.addOrderBy(`c.${SORTABLE[s.field]}`, s.direction);
    qb.addOrderBy('c.id', 'ASC');
    const [items, total] = await qb
      .skip((q.page - 1) * q.perPage)
      .take(q.perPage)
      .getManyAndCount();
    return { items, total };
  }

  count(tenantId: string, filters: CdrFilters): Promise<number> {
    return this.filtered(tenantId, filters).getCount();
  }

  /**
   * One batch of an export, newest first, resuming after `after`. Keyset paging keeps every batch
   * as cheap as the first (OFFSET would rescan all earlier rows) and holds no connection between batches.
   */
  async exportBatch(
    tenantId: string,
    filters: CdrFilters,
    after: CdrCursor | null,
    limit: number,
  ): Promise<{ rows: CdrEntity[]; next: CdrCursor | null }> {
    const qb = this.filtered(tenantId, filters).addSelect('c.started_at::text', 'cursor_started_at');
    if (after) {
      qb.andWhere('(c.started_at, c.id) < (CAST(:afterStartedAt AS timestamptz), CAST(:afterId AS uuid))', {
        afterStartedAt: after.startedAt,
        afterId: after.id,
      });
    }
    qb.orderBy('c.started_at', 'DESC').addOrderBy('c.id', 'DESC').limit(limit);
    const { entities, raw } = await qb.getRawAndEntities<{ cursor_started_at: string }>();
    const last = entities.length === limit ? entities[entities.length - 1] : undefined;
    const lastRaw = raw[raw.length - 1];
    return {
      rows: entities,
      next: last && lastRaw ? { startedAt: lastRaw.cursor_started_at, id: last.id } : null,
    };
  }

  /**
   * Ids of the tenant's devices, for reading their live registrations. It lives here rather than in
   * DevicesRepository only to keep this change inside its own files; it touches no secret column.
   */
  async tenantDeviceIds(tenantId: string): Promise<string[]> {
    const rows: Array<{ id: string }> = await managerOf(this.ds).query(
      'SELECT id FROM devices WHERE tenant_id = $1 ORDER BY id',
      [tenantId],
    );
    return rows.map((r) => r.id);
  }

  private filtered(tenantId: string, f: CdrFilters): SelectQueryBuilder<CdrEntity> {
    const qb = this.repo.createQueryBuilder('c').where('c.tenantId = :tenantId', { tenantId });
    if (f.deviceId) qb.andWhere('c.deviceId = :deviceId', { deviceId: f.deviceId });
    if (f.extensionId) qb.andWhere('c.extensionId = :extensionId', { extensionId: f.extensionId });
    if (f.direction) qb.andWhere('c.direction = :direction', { direction: f.direction });
    if (f.destinationCountry)
      qb.andWhere('c.destinationCountry = :country', { country: f.destinationCountry });
    if (f.disposition) qb.andWhere('c.disposition = :disposition', { disposition: f.disposition });
    if (f.from) qb.andWhere('c.startedAt >= :from', { from: f.from });
    if (f.to) qb.andWhere('c.startedAt < :to', { to: f.to });
    return qb;
  }
}

export const CDR_SORTABLE = Object.keys(SORTABLE);
