import { Inject, Injectable } from '@nestjs/common';
import { RefreshTokensRepository } from '@pbx/database';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { API_CONFIG, ApiConfig } from '../config/api-config';
import type { TokenPairDto } from './dto/auth.dto';
import type { RequestMeta } from './principal';
import { RevocationService } from './revocation.service';
import { TokensService } from './tokens.service';

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A session is a refresh-token family plus the access tokens minted from it (which carry its id as `sid`). */
@Injectable()
export class SessionsService {
  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly tokens: TokensService,
    private readonly revocation: RevocationService,
  ) {}

  /**
   * A new session, or with `rotation` the next token of an existing one. Answers null when the
   * rotated token's session was revoked while the refresh was in flight.
   */
  async issue(
    user: { id: string; tenantId: string; roles: string[] },
    meta: RequestMeta,
    rotation?: { familyId: string; parentId: string },
  ): Promise<TokenPairDto | null> {
    const familyId = rotation?.familyId ?? randomUUID();
    const refreshToken = `rt_${randomBytes(32).toString('base64url')}`;
    const refreshTtl = this.config.JWT_REFRESH_TTL_SECONDS;
    const stored = await this.refreshTokens.insert(
      {
        userId: user.id,
        tenantId: user.tenantId,
        familyId,
        tokenHash: hashRefreshToken(refreshToken),
        expiresAt: new Date(Date.now() + refreshTtl * 1000),
        ip: meta.ip,
        userAgent: meta.userAgent,
      },
      rotation?.parentId,
    );
    if (!stored) return null;
    const access = await this.tokens.signAccessToken({
      userId: user.id,
      tenantId: user.tenantId,
      roles: user.roles,
      sid: familyId,
    });
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      refresh_token: refreshToken,
      refresh_expires_in: refreshTtl,
    };
  }

  async revokeSession(sid: string, reason: string): Promise<void> {
    await this.refreshTokens.revokeFamily(sid, reason);
    await this.revocation.denySessions([sid]);
  }

  async denyAccessToken(jti: string, exp: number): Promise<void> {
    await this.revocation.denyToken(jti, exp);
  }

  /** Ends every session of a user: refresh tokens revoked, their access tokens denied. */
  async revokeAllForUser(userId: string, reason: string): Promise<number> {
    const families = await this.refreshTokens.revokeAllForUser(userId, reason);
    await this.revocation.denySessions(families);
    return families.length;
  }
}
