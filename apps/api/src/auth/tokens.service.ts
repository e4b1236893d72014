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

interface AccessClaims extends JWTPayload {
  tid: string;
  roles: string[];
  sid: string;
}

@Injectable()
export class TokensService {
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
