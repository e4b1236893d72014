import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-custom';
import type { Principal } from './principal';
import { RevocationService } from './revocation.service';
import { InvalidTokenError, TokensService } from './tokens.service';

const BEARER = /^Bearer ([A-Za-z0-9_-]{1,4096}\.[A-Za-z0-9_-]{1,4096}\.[A-Za-z0-9_-]{0,4096})$/;

/**
 * The Passport strategy, verifying with jose rather than passport-jwt: the jsonwebtoken library
 * under passport-jwt accepts tokens with no exp, a future iat and unknown crit headers.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    private readonly tokens: TokensService,
    private readonly revocation: RevocationService,
  ) {
    super();
  }

  async validate(req: FastifyRequest): Promise<Principal | false> {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? BEARER.exec(header) : null;
    if (!match) return false;
    try {
      const principal = await this.tokens.verifyAccessToken(match[1]);
      if (await this.revocation.isRevoked(principal.jti, principal.sid)) return false;
      return principal;
    } catch (err) {
      if (err instanceof InvalidTokenError) return false;
      throw err;
    }
  }
}
