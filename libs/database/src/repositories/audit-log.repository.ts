import { Injectable } from '@nestjs/common';
import {
  AuditChainContent,
  AuditPersonalFields,
  chainHash,
  contentWithDigest,
  GENESIS_HASH,
  personalDigest,
} from '@pbx/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { AuditLogEntity, AuditResult } from '../entities';
import { ListQuery, Page } from '../list-query';
import { managerOf, transaction } from '../unit-of-work';

export type AuditEntryInput = Omit<AuditChainContent, 'chain' | 'createdAt' | 'result' | 'personalDigest'> & {
  result: AuditResult;
};

export interface ChainBreak {
  id: string;
  reason: 'hash_mismatch' | 'prev_hash_mismatch' | 'personal_mismatch';
}

/** What `withAudit` hands its callback: entries recorded here commit with the change, or not at all. */
export interface AuditScope {
  record(entry: AuditEntryInput): void;
}

const FILTERABLE = ['action', 'result', 'actor_user_id', 'target_type', 'target_id'] as const;

/** Entries of the `withAudit` call in progress, so `append` from deeper code joins its transaction. */
const pending = new AsyncLocalStorage<AuditEntryInput[]>();

export function chainOf(tenantId: string | null): string {
  return tenantId ? `tenant:${tenantId}` : 'platform';
}

function personalOf(row: AuditPersonalFields): AuditPersonalFields {
  return { actorEmail: row.actorEmail, ip: row.ip, userAgent: row.userAgent };
}

function contentOf(row: AuditLogEntity): AuditChainContent {
  const content: AuditChainContent = {
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
  return row.personalDigest ? contentWithDigest(content, row.personalDigest) : content;
}

@Injectable()
export class AuditLogRepository {
  constructor(private readonly ds: DataSource) {}

  private get repo(): Repository<AuditLogEntity> {
    return managerOf(this.ds).getRepository(AuditLogEntity);
  }

  /**
   * The unit of work for audited changes, for the API, the SIP app and the workers alike: `work`
   * makes its change through any repositories (they join this transaction), records what it did
   * with `audit.record(...)`, and both commit together or neither does. Entries are appended just
   * before commit, chains in a fixed order, so the per-chain lock is held briefly and two writers
   * can't deadlock on it. Caches are told through `afterCommit`, never before the commit.
   *
   *   await auditLog.withAudit(key, async (audit) => {
   *     await devices.update(id, patch);
   *     audit.record({ action: 'device.updated', ... });
   *   });
   *
   * `append` called anywhere inside `work` (for instance by a service's own `record` helper)
   * is deferred the same way.
   */
  async withAudit<T>(key: string, work: (audit: AuditScope) => Promise<T>): Promise<T> {
    return transaction(this.ds, async (m) => {
      const entries: AuditEntryInput[] = [];
      const result = await pending.run(entries, () => work({ record: (entry) => entries.push(entry) }));
      const byChain = entries.map((entry, i) => ({ entry, i, chain: chainOf(entry.tenantId) }));
      byChain.sort((a, b) => (a.chain < b.chain ? -1 : a.chain > b.chain ? 1 : a.i - b.i));
      for (const { entry } of byChain) await this.insert(m, key, entry);
      return result;
    });
  }

  /**
   * Appends one entry to its tenant's chain: inside `withAudit`, with that change; else in a
   * transaction of its own. `independent` entries (a denial, a failure) are written at once even
   * inside `withAudit`, because the error that follows them rolls the change back.
   */
  async append(key: string, entry: AuditEntryInput, opts: { independent?: boolean } = {}): Promise<void> {
    const inScope = pending.getStore();
    if (inScope && !opts.independent) inScope.push(entry);
    // On a connection of its own, outside any transaction in progress: it survives that one's rollback.
    else if (opts.independent) await this.ds.transaction((m) => this.insert(m, key, entry));
    else await transaction(this.ds, (m) => this.insert(m, key, entry));
  }

  /**
   * A transaction-scoped advisory lock per chain serialises appends until commit, so no two rows
   * ever link to the same predecessor, however many writers run at once.
   */
  private async insert(m: EntityManager, key: string, entry: AuditEntryInput): Promise<AuditLogEntity> {
    const chain = chainOf(entry.tenantId);
    await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 7271))`, [`audit:${chain}`]);
    const last: Array<{ hash: string }> = await m.query(
      `SELECT hash FROM audit_log WHERE chain = $1 ORDER BY id DESC LIMIT 1`,
      [chain],
    );
    const prevHash = last[0]?.hash ?? GENESIS_HASH;
    const createdAt = new Date();
    const digest = personalDigest(key, personalOf(entry));
    const content = contentWithDigest({ ...entry, chain, createdAt: createdAt.toISOString() }, digest);
    const hash = chainHash(key, prevHash, content);
    const repo = m.getRepository(AuditLogEntity);
    return repo.save(repo.create({ ...entry, chain, createdAt, prevHash, hash, personalDigest: digest }));
  }

  /**
   * GDPR erasure: clears the personal fields of every row a person wrote (or that names their
   * email), without touching what the chain hashes. Rows written before personal digests existed
   * cannot be cleared without breaking the chain; they are counted and kept.
   */
  async erasePersonal(userId: string, email: string): Promise<{ erased: number; kept: number }> {
    const [, erased]: [unknown, number] = await managerOf(this.ds).query(
      `UPDATE audit_log SET actor_email = NULL, ip = NULL, user_agent = NULL, personal_erased_at = now()
        WHERE personal_digest IS NOT NULL AND personal_erased_at IS NULL AND (actor_user_id = $1 OR actor_email = $2)`,
      [userId, email],
    );
    const kept: Array<{ n: number }> = await managerOf(this.ds).query(
      `SELECT count(*)::int AS n FROM audit_log WHERE personal_digest IS NULL AND (actor_user_id = $1 OR actor_email = $2)`,
      [userId, email],
    );
    return { erased, kept: kept[0].n };
  }

  /** Every entry a person wrote or that is about them (their user row), oldest first. */
  async aboutUser(userId: string, limit = 10_000): Promise<AuditLogEntity[]> {
    return this.repo
      .createQueryBuilder('a')
      .where('a.actor_user_id = :userId', { userId })
      .orWhere(`a.target_type = 'user' AND a.target_id = :targetId`, { targetId: userId })
      .orderBy('a.id', 'ASC')
      .take(limit)
      .getMany();
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
        if (row.personalDigest && !row.personalErasedAt && personalDigest(key, personalOf(row)) !== row.personalDigest) {
          return { checked, firstBreak: { id: row.id, reason: 'personal_mismatch' } };
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
