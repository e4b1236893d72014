import { Injectable } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import { RefreshTokenEntity } from '../entities';

export type ConsumeResult =
  | { kind: 'ok'; token: RefreshTokenEntity }
  | { kind: 'reused'; token: RefreshTokenEntity }
  | { kind: 'invalid' };

@Injectable()
export class RefreshTokensRepository {
  private readonly repo: Repository<RefreshTokenEntity>;

  constructor(private readonly ds: DataSource) {
    this.repo = ds.getRepository(RefreshTokenEntity);
  }

  async insert(data: {
    userId: string;
    tenantId: string;
    familyId: string;
    tokenHash: string;
    expiresAt: Date;
    ip: string | null;
    userAgent: string | null;
  }): Promise<RefreshTokenEntity> {
    return this.repo.save(this.repo.create(data));
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

  /** Revokes every live token of a family; returns whether anything was revoked. */
  async revokeFamily(familyId: string, reason: string): Promise<number> {
    const res = await this.repo
      .createQueryBuilder()
      .update()
      .set({ revokedAt: () => 'now()', revokedReason: reason })
      .where('family_id = :familyId AND revoked_at IS NULL', { familyId })
      .execute();
    return res.affected ?? 0;
  }

  /** Revokes all of a user's sessions; returns the families that were still live. */
  async revokeAllForUser(userId: string, reason: string): Promise<string[]> {
    const [rows]: [Array<{ family_id: string }>, number] = await this.ds.query(
      `UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = $2
       WHERE user_id = $1 AND revoked_at IS NULL
       RETURNING family_id`,
      [userId, reason],
    );
    return [...new Set(rows.map((r) => r.family_id))];
  }

  async deleteExpired(olderThanDays = 7): Promise<number> {
    const [, count]: [unknown[], number] = await this.ds.query(
      `DELETE FROM refresh_tokens WHERE expires_at < now() - make_interval(days => $1) RETURNING id`,
      [olderThanDays],
    );
    return count;
  }
}
