import { Injectable } from '@nestjs/common';
import { Brackets, DataSource, Repository } from 'typeorm';
import { BanEntity, BanSource } from '../entities';
import { ListQuery, Page } from '../list-query';
import { managerOf } from '../unit-of-work';

const SORTABLE: Record<string, string> = { created_at: 'createdAt', expires_at: 'expiresAt', ip: 'ip' };

export type BanStatus = 'active' | 'lifted' | 'expired';

/** Which bans a caller may see: their tenant's, and the platform-wide ones (tenant_id NULL) too if allowed. */
export interface BanScope {
  tenantId: string;
  includePlatform: boolean;
}

export interface BanFilters {
  status?: BanStatus | 'all';
  ip?: string;
  source?: BanSource;
  scope?: 'tenant' | 'platform';
}

export type BanInsert = Pick<BanEntity, 'tenantId' | 'ip' | 'reason' | 'source'> &
  Partial<Pick<BanEntity, 'createdBy' | 'expiresAt'>>;

/** Ban state as the database sees it now: statuses use Postgres's clock, so every API instance agrees. */
const ACTIVE = `b.lifted_at IS NULL AND (b.expires_at IS NULL OR b.expires_at > now())`;

@Injectable()
export class BansRepository {
  constructor(private readonly ds: DataSource) {}

  private get repo(): Repository<BanEntity> {
    return managerOf(this.ds).getRepository(BanEntity);
  }

  insert(row: BanInsert): Promise<BanEntity> {
    return this.repo.save(this.repo.create({ createdBy: null, expiresAt: null, ...row }));
  }

  async findVisible(scope: BanScope, id: string): Promise<BanEntity | null> {
    return this.visible(scope).andWhere('b.id = :id', { id }).getOne();
  }

  async list(scope: BanScope, f: BanFilters, q: ListQuery): Promise<Page<BanEntity>> {
    const qb = this.visible(scope);
    if (f.status === 'active') qb.andWhere(ACTIVE);
    if (f.status === 'lifted') qb.andWhere('b.lifted_at IS NOT NULL');
    if (f.status === 'expired') qb.andWhere('b.lifted_at IS NULL AND b.expires_at <= now()');
    if (f.ip) qb.andWhere('b.ip = :ip', { ip: f.ip });
    if (f.source) qb.andWhere('b.source = :source', { source: f.source });
    if (f.scope === 'tenant') qb.andWhere('b.tenant_id IS NOT NULL');
    if (f.scope === 'platform') qb.andWhere('b.tenant_id IS NULL');
    for (const s of q.sort) if (SORTABLE[s.field]) qb.addOrderBy(`b.${SORTABLE[s.field]}`, s.direction);
    qb.addOrderBy('b.id', 'ASC');
    const [items, total] = await qb
      .skip((q.page - 1) * q.perPage)
      .take(q.perPage)
      .getManyAndCount();
    return { items, total };
  }

  /** An active ban on this address in the same place (the tenant, or platform-wide for null). */
  async findActive(tenantId: string | null, ip: string): Promise<BanEntity | null> {
    const qb = this.repo.createQueryBuilder('b').where('b.ip = :ip', { ip }).andWhere(ACTIVE);
    if (tenantId === null) qb.andWhere('b.tenant_id IS NULL');
    else qb.andWhere('b.tenant_id = :tenantId', { tenantId });
    return qb.getOne();
  }

  /** Lifts a ban that is not lifted yet; null if it already was (or someone else just did). */
  async lift(id: string, byUserId: string): Promise<BanEntity | null> {
    const [rows]: [Array<{ id: string }>, number] = await managerOf(this.ds).query(
      `UPDATE bans SET lifted_at = now(), lifted_by = $2 WHERE id = $1 AND lifted_at IS NULL RETURNING id`,
      [id, byUserId],
    );
    return rows.length ? this.repo.findOneBy({ id }) : null;
  }

  /**
   * For addresses in the edge's drop list: which of them have platform-wide ban rows at all, and
   * which of those are still active. Addresses with no platform ban row were put there by someone
   * else (an operator by hand, a test) and are none of the API's business.
   */
  async platformBanStates(ips: readonly string[]): Promise<Map<string, boolean>> {
    if (ips.length === 0) return new Map();
    const rows: Array<{ ip: string; active: boolean }> = await managerOf(this.ds).query(
      `SELECT b.ip, bool_or(${ACTIVE}) AS active FROM bans b WHERE b.tenant_id IS NULL AND b.ip = ANY($1) GROUP BY b.ip`,
      [[...ips]],
    );
    return new Map(rows.map((r) => [r.ip, r.active]));
  }

  /** Every address under an active ban of this tenant: what the SIP app refuses for the tenant alone. */
  async activeTenantIps(tenantId: string): Promise<string[]> {
    const rows: Array<{ ip: string }> = await this.ds.query(
      `SELECT DISTINCT b.ip FROM bans b WHERE b.tenant_id = $1 AND ${ACTIVE}`,
      [tenantId],
    );
    return rows.map((r) => r.ip);
  }

  /** Every address under an active platform-wide ban: what the edge drop list must hold at least. */
  async activePlatformIps(): Promise<string[]> {
    const rows: Array<{ ip: string }> = await managerOf(this.ds).query(
      `SELECT DISTINCT b.ip FROM bans b WHERE b.tenant_id IS NULL AND ${ACTIVE} ORDER BY b.ip`,
    );
    return rows.map((r) => r.ip);
  }

  private visible(scope: BanScope) {
    const qb = this.repo.createQueryBuilder('b');
    return qb.where(
      new Brackets((w) => {
        w.where('b.tenant_id = :tenantId', { tenantId: scope.tenantId });
        if (scope.includePlatform) w.orWhere('b.tenant_id IS NULL');
      }),
    );
  }
}

export function banStatus(b: BanEntity, now = new Date()): BanStatus {
  if (b.liftedAt) return 'lifted';
  if (b.expiresAt && b.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'active';
}

export const BAN_SORTABLE = Object.keys(SORTABLE);
