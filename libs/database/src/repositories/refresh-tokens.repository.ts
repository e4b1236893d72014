import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { RefreshTokenEntity } from '../entities';
import { managerOf, transaction } from '../unit-of-work';

export type ConsumeResult =
  | { kind: 'ok'; token: RefreshTokenEntity }
  | { kind: 'reused'; token: RefreshTokenEntity }
  | { kind: 'invalid' };

/** Serialises issuing and revoking a user's refresh tokens (transaction-scoped advisory lock). */
async function lockUserSessions(m: EntityManager, userId: string): Promise<void> {
  await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 7272))`, [`sessions:${userId}`]);
}

@Injectable()
export class RefreshTokensRepository {
  constructor(private readonly ds: DataSource) {}

  private get repo(): Repository<RefreshTokenEntity> {
    return managerOf(this.ds).getRepository(RefreshTokenEntity);
  }

  /**
   * Issues a token, under the user's session lock. With `parentId` (a rotation), nothing is issued if
   * the parent was revoked meanwhile: otherwise a refresh racing a revoke-all could mint a child the
   * revoke never saw, and the session would outlive a password reset or logout-all.
   */
  async insert(
    data: {
      userId: string;
      tenantId: string;
      familyId: string;
      tokenHash: string;
      expiresAt: Date;
      ip: string | null;
      userAgent: string | null;
    },
    parentId?: string,
  ): Promise<RefreshTokenEntity | null> {
    return transaction(this.ds, async (m) => {
      await lockUserSessions(m, data.userId);
      if (parentId) {
        const rows: Array<{ revoked: boolean }> = await m.query(
          `SELECT revoked_at IS NOT NULL AS revoked FROM refresh_tokens WHERE id = $1`,
          [parentId],
        );
        if (!rows[0] || rows[0].revoked) return null;
      }
      const repo = m.getRepository(RefreshTokenEntity);
      return repo.save(repo.create(data));
    });
  }

  /**
   * Spends a refresh token. The conditional UPDATE is the whole race guard: of two concurrent
   * refreshes with the same token, exactly one gets the row; the other sees it as reused.
   */
  async consume(tokenHash: string): Promise<ConsumeResult> {
    const spent: RefreshTokenEntity[] = await this.repo
      .createQueryBuilder()
      .update()
      .set({ usedAt: () => 'now()' })
      .where('token_hash = :tokenHash AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()', { tokenHash })
      .returning(['id', 'userId', 'tenantId', 'familyId', 'expiresAt'])
      .execute()
      .then((r) => r.raw as RefreshTokenEntity[]);
    if (spent.length === 1) {
      const raw = spent[0] as unknown as Record<string, unknown>;
      const token = this.repo.create({
        id: raw.id as string,
        userId: (raw.user_id ?? raw.userId) as string,
        tenantId: (raw.tenant_id ?? raw.tenantId) as string,
        familyId: (raw.family_id ?? raw.familyId) as string,
      });
      return { kind: 'ok', token };
    }
    const existing = await this.repo.findOne({ where: { tokenHash } });
    if (existing && existing.usedAt) return { kind: 'reused', token: existing };
    return { kind: 'invalid' };
  }

  /** Revokes every live token of a family (under the user's session lock); returns how many. */
  async revokeFamily(familyId: string, reason: string): Promise<number> {
    return transaction(this.ds, async (m) => {
      const owner: Array<{ user_id: string }> = await m.query(
        `SELECT user_id FROM refresh_tokens WHERE family_id = $1 LIMIT 1`,
        [familyId],
      );
      if (!owner[0]) return 0;
      await lockUserSessions(m, owner[0].user_id);
      const [, count]: [unknown[], number] = await m.query(
        `UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = $2
         WHERE family_id = $1 AND revoked_at IS NULL RETURNING id`,
        [familyId, reason],
      );
      return count;
    });
  }

  /** Revokes all of a user's sessions; returns the families that were still live. */
  async revokeAllForUser(userId: string, reason: string): Promise<string[]> {
    return transaction(this.ds, async (m) => {
      await lockUserSessions(m, userId);
      const [rows]: [Array<{ family_id: string }>, number] = await m.query(
        `UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = $2
         WHERE user_id = $1 AND revoked_at IS NULL
         RETURNING family_id`,
        [userId, reason],
      );
      return [...new Set(rows.map((r) => r.family_id))];
    });
  }

  /** Undoes a revocation made with `reason`: the families' tokens it revoked live again (until they expire). */
  async restoreFamilies(userId: string, familyIds: readonly string[], reason: string): Promise<number> {
    return transaction(this.ds, async (m) => {
      await lockUserSessions(m, userId);
      const [, count]: [unknown[], number] = await m.query(
        `UPDATE refresh_tokens SET revoked_at = NULL, revoked_reason = NULL
          WHERE user_id = $1 AND family_id = ANY($2::uuid[]) AND revoked_reason = $3`,
        [userId, [...familyIds], reason],
      );
      return count;
    });
  }

  async deleteExpired(olderThanDays = 7): Promise<number> {
    const [, count]: [unknown[], number] = await managerOf(this.ds).query(
      `DELETE FROM refresh_tokens WHERE expires_at < now() - make_interval(days => $1) RETURNING id`,
      [olderThanDays],
    );
    return count;
  }
}
