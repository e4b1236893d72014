import { Inject, Injectable } from '@nestjs/common';
import { permissionsOf } from '@pbx/common';
import { decodeProtectedHeader, errors as joseErrors, JWTPayload, jwtVerify, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { API_CONFIG, ApiConfig } from '../config/api-config';
import { JWT_ALG } from './keys/key-store';
import { SigningKeysService } from './keys/signing-keys.service';
import type { Principal } from './principal';

/** RFC 9068 media type for JWT access tokens; refuses ID tokens or other JWTs minted with our keys. */
const ACCESS_TOKEN_TYP = 'at+jwt';

export class InvalidTokenError extends Error {}

/** How long a verified token's claims are reused without another RSA verification. */
const VERIFIED_CACHE_MS = 60_000;
const VERIFIED_CACHE_MAX = 50_000;

interface AccessClaims extends JWTPayload {
  tid: string;
  roles: string[];
  sid: string;
}

@Injectable()
export class TokensService {
  /**
   * Tokens already verified, by their exact bytes (signature included), so a token is only
   * RSA-verified once a minute however often it is presented. Expiry is re-checked on every hit;
   * revocation is not this cache's business (the strategy checks it in Redis on every request).
   */
  private readonly verified = new Map<string, { principal: Principal; until: number }>();

  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly keys: SigningKeysService,
  ) {}

  async signAccessToken(p: { userId: string; tenantId: string; roles: string[]; sid: string }): Promise<{
    token: string;
    expiresIn: number;
  }> {
    const key = this.keys.currentSigningKey();
    const expiresIn = this.config.JWT_ACCESS_TTL_SECONDS;
    const token = await new SignJWT({ tid: p.tenantId, roles: p.roles, sid: p.sid })
      .setProtectedHeader({ alg: JWT_ALG, kid: key.kid, typ: ACCESS_TOKEN_TYP })
      .setIssuer(this.config.JWT_ISSUER)
      .setAudience(this.config.JWT_AUDIENCE)
      .setSubject(p.userId)
      .setIssuedAt()
      .setExpirationTime(`${expiresIn}s`)
      .setJti(randomUUID())
      .sign(key.privateKey);
    return { token, expiresIn };
  }

  /**
   * Verification pins everything: RS256 only (so `none` and HS256-with-the-public-key fail),
   * our issuer and audience, the at+jwt type, a known kid, exp/iat/jti present, iat not in the
   * future nor older than the access TTL; jose itself rejects unknown `crit` headers.
   */
  async verifyAccessToken(token: string): Promise<Principal> {
    const now = Date.now();
    const hit = this.verified.get(token);
    if (hit && hit.until > now) return hit.principal;
    const principal = await this.verifyUncached(token);
    if (this.verified.size >= VERIFIED_CACHE_MAX) this.evictExpired(now);
    if (this.verified.size < VERIFIED_CACHE_MAX) {
      this.verified.set(token, { principal, until: Math.min(now + VERIFIED_CACHE_MS, principal.exp * 1000) });
    }
    return principal;
  }

  private evictExpired(now: number): void {
    for (const [token, entry] of this.verified) if (entry.until <= now) this.verified.delete(token);
    // Still full of live entries: drop the oldest half rather than grow without bound.
    if (this.verified.size >= VERIFIED_CACHE_MAX) {
      let n = Math.floor(VERIFIED_CACHE_MAX / 2);
      for (const token of this.verified.keys()) {
        if (n-- <= 0) break;
        this.verified.delete(token);
      }
    }
  }

  private async verifyUncached(token: string): Promise<Principal> {
    try {
      const header = decodeProtectedHeader(token);
      if (typeof header.kid !== 'string' || !header.kid) throw new InvalidTokenError('missing kid');
      const key = await this.keys.verificationKey(header.kid);
      if (!key) throw new InvalidTokenError('unknown kid');
      const { payload } = await jwtVerify<AccessClaims>(token, key, {
        algorithms: [JWT_ALG],
        issuer: this.config.JWT_ISSUER,
        audience: this.config.JWT_AUDIENCE,
        typ: ACCESS_TOKEN_TYP,
        requiredClaims: ['exp', 'iat', 'sub', 'jti'],
        clockTolerance: this.config.JWT_CLOCK_TOLERANCE_SECONDS,
        maxTokenAge: this.config.JWT_ACCESS_TTL_SECONDS + this.config.JWT_CLOCK_TOLERANCE_SECONDS,
      });
      const { sub, tid, roles, sid, jti, exp } = payload;
      if (
        typeof sub !== 'string' ||
        typeof tid !== 'string' ||
        typeof sid !== 'string' ||
        typeof jti !== 'string' ||
        typeof exp !== 'number' ||
        !Array.isArray(roles) ||
        !roles.every((r) => typeof r === 'string')
      ) {
        throw new InvalidTokenError('malformed claims');
      }
      return { userId: sub, tenantId: tid, roles, permissions: permissionsOf(roles), jti, sid, exp };
    } catch (err) {
      if (err instanceof InvalidTokenError) throw err;
      if (err instanceof joseErrors.JOSEError || err instanceof TypeError || err instanceof SyntaxError) {
        throw new InvalidTokenError(err.message);
      }
      throw err;
    }
  }
}
