import { Injectable } from '@nestjs/common';
import { AuditChainContent, chainHash, GENESIS_HASH } from '@pbx/common';
import { DataSource, Repository } from 'typeorm';
import { AuditLogEntity, AuditResult } from '../entities';
import { ListQuery, Page } from '../list-query';

export type AuditEntryInput = Omit<AuditChainContent, 'chain' | 'createdAt' | 'result'> & { result: AuditResult };

export interface ChainBreak {
  id: string;
  reason: 'hash_mismatch' | 'prev_hash_mismatch';
}

const FILTERABLE = ['action', 'result', 'actor_user_id', 'target_type', 'target_id'] as const;

export function chainOf(tenantId: string | null): string {
  return tenantId ? `tenant:${tenantId}` : 'platform';
}

function contentOf(row: AuditLogEntity): AuditChainContent {
  return {
    chain: row.chain,
    tenantId: row.tenantId,
    actorUserId: row.actorUserId,
    actorEmail: row.actorEmail,
    action: row.action,
    targetType: row.targetType,
    targetId: row.targetId,
    ip: row.ip,
    userAgent: row.userAgent,
    result: row.result,
    metadata: row.metadata,
    createdAt: row.createdAt.toISOString(),
  };
}

@Injectable()
export class AuditLogRepository {
  private readonly repo: Repository<AuditLogEntity>;

  constructor(private readonly ds: DataSource) {
    this.repo = ds.getRepository(AuditLogEntity);
  }

  /**
   * Appends one entry to its tenant's chain. A transaction-scoped advisory lock per chain
   * serialises appends, so no two rows ever link to the same predecessor.
   */
  async append(key: string, entry: AuditEntryInput): Promise<AuditLogEntity> {
    const chain = chainOf(entry.tenantId);
    return this.ds.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 7271))`, [`audit:${chain}`]);
      const last: Array<{ hash: string }> = await m.query(
        `SELECT hash FROM audit_log WHERE chain = $1 ORDER BY id DESC LIMIT 1`,
        [chain],
      );
      const prevHash = last[0]?.hash ?? GENESIS_HASH;
      const createdAt = new Date();
      const content: AuditChainContent = { ...entry, chain, createdAt: createdAt.toISOString() };
      const hash = chainHash(key, prevHash, content);
      const repo = m.getRepository(AuditLogEntity);
      return repo.save(repo.create({ ...entry, chain, createdAt, prevHash, hash }));
    });
  }

  async list(tenantId: string | null, q: ListQuery & { from?: Date; to?: Date }): Promise<Page<AuditLogEntity>> {
    const qb = this.repo.createQueryBuilder('a').where('a.chain = :chain', { chain: chainOf(tenantId) });
    for (const f of FILTERABLE) {
      if (q.filters[f] !== undefined) qb.andWhere(`a.${f} = :${f}`, { [f]: q.filters[f] });
    }
    if (q.from) qb.andWhere('a.created_at >= :from', { from: q.from });
    if (q.to) qb.andWhere('a.created_at <= :to', { to: q.to });
    const desc = q.sort.find((s) => s.field === 'created_at' || s.field === 'id')?.direction ?? 'DESC';
    qb.orderBy('a.id', desc);
    const [items, total] = await qb
      .skip((q.page - 1) * q.perPage)
      .take(q.perPage)
      .getManyAndCount();
    return { items, total };
  }

  /** Walks a chain in order, in batches; returns the first broken link and how many rows were checked. */
  async verify(key: string, tenantId: string | null, batch = 1000): Promise<{ checked: number; firstBreak: ChainBreak | null }> {
    const chain = chainOf(tenantId);
    let prev = GENESIS_HASH;
    let afterId = '0';
    let checked = 0;
    for (;;) {
      const rows = await this.repo
        .createQueryBuilder('a')
        .where('a.chain = :chain AND a.id > :afterId', { chain, afterId })
        .orderBy('a.id', 'ASC')
        .take(batch)
        .getMany();
      for (const row of rows) {
        if (row.prevHash !== prev) return { checked, firstBreak: { id: row.id, reason: 'prev_hash_mismatch' } };
        if (chainHash(key, prev, contentOf(row)) !== row.hash) {
          return { checked, firstBreak: { id: row.id, reason: 'hash_mismatch' } };
        }
        prev = row.hash;
        checked++;
      }
      if (rows.length < batch) return { checked, firstBreak: null };
      afterId = rows[rows.length - 1].id;
    }
  }
}

export const AUDIT_FILTERABLE = [...FILTERABLE];
