import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { RefreshTokensRepository, TenantsRepository, UsersRepository } from '@pbx/database';
import { AuditService } from '../audit/audit.service';
import { API_CONFIG, ApiConfig } from '../config/api-config';
import { unprocessable } from '../http/validation';
import type { LoginDto, TokenPairDto } from './dto/auth.dto';
import { LoginThrottleService, TooManyAttemptsException } from './login-throttle.service';
import { PasswordService } from './password.service';
import type { Principal, RequestMeta } from './principal';
import { hashRefreshToken, SessionsService } from './sessions.service';

const BAD_CREDENTIALS = 'These credentials do not match our records.';

@Injectable()
export class AuthService {
  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly users: UsersRepository,
    private readonly tenants: TenantsRepository,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly passwords: PasswordService,
    private readonly throttle: LoginThrottleService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Every path costs exactly one bcrypt comparison (unknown email, locked account, deactivated
   * user, suspended tenant, wrong password), and every failure answers the same 422, so neither
   * timing nor message tells whether an account exists.
   */
  async login(dto: LoginDto, meta: RequestMeta): Promise<TokenPairDto> {
    await this.throttle.consumeAttempt(meta.ip, dto.email).catch(async (err: unknown) => {
      if (err instanceof TooManyAttemptsException) {
        await this.audit.record({ action: 'auth.login.throttled', result: 'denied', tenantId: null, actorEmail: dto.email, meta });
      }
      throw err;
    });

    const found = await this.users.findForLogin(dto.email);
    if (found?.user.lockedUntil && found.user.lockedUntil.getTime() <= Date.now()) {
      await this.users.clearExpiredLock(found.user.id);
      found.user.lockedUntil = null;
      found.user.failedLoginAttempts = 0;
    }
    const passwordOk = await this.passwords.verify(dto.password, found?.passwordHash ?? null);

    if (!found) {
      const lockedFor = await this.throttle.unknownEmailLockedFor(dto.email);
      if (lockedFor > 0) throw new TooManyAttemptsException(lockedFor);
      await this.throttle.recordUnknownEmailFailure(dto.email);
      await this.audit.record({
        action: 'auth.login',
        result: 'failure',
        tenantId: null,
        actorEmail: dto.email,
        meta,
        details: { reason: 'bad_credentials' },
      });
      throw unprocessable({ email: [BAD_CREDENTIALS] });
    }

    const { user } = found;
    const base = { tenantId: user.tenantId, actor: { userId: user.id }, actorEmail: user.email, meta };
    if (user.lockedUntil) {
      await this.audit.record({ ...base, action: 'auth.login', result: 'denied', details: { reason: 'locked' } });
      throw new TooManyAttemptsException(Math.max(1, Math.ceil((user.lockedUntil.getTime() - Date.now()) / 1000)));
    }
    if (!passwordOk || user.status !== 'active' || found.tenantStatus !== 'active') {
      const reason = !passwordOk ? 'bad_credentials' : user.status !== 'active' ? 'user_inactive' : 'tenant_suspended';
      const { lockedUntil } = await this.users.recordLoginFailure(
        user.id,
        this.config.LOGIN_MAX_FAILURES,
        this.config.LOGIN_LOCKOUT_SECONDS,
      );
      await this.audit.record({ ...base, action: 'auth.login', result: 'failure', details: { reason } });
      if (lockedUntil) await this.audit.record({ ...base, action: 'auth.lockout', result: 'success', target: { type: 'user', id: user.id } });
      throw unprocessable({ email: [BAD_CREDENTIALS] });
    }

    await this.users.recordLoginSuccess(user.id);
    if (this.passwords.needsRehash(found.passwordHash)) {
      await this.users.setPassword(user.id, await this.passwords.hash(dto.password));
    }
    return this.audit.change(async () => {
      const pair = await this.sessions.issue({ id: user.id, tenantId: user.tenantId, roles: user.roles.map((r) => r.key) }, meta);
      if (!pair) throw new Error('a new session cannot have a revoked parent');
      await this.audit.record({ ...base, action: 'auth.login', result: 'success' });
      return pair;
    });
  }

  /** Rotates a refresh token. Presenting a spent one is treated as theft: the whole family is revoked. */
  async refresh(refreshToken: string, meta: RequestMeta): Promise<TokenPairDto> {
    const spent = await this.refreshTokens.consume(hashRefreshToken(refreshToken));
    if (spent.kind === 'reused') {
      const t = spent.token;
      await this.sessions.revokeSession(t.familyId, 'reuse_detected');
      await this.audit.record({
        action: 'auth.refresh.reuse_detected',
        result: 'denied',
        tenantId: t.tenantId,
        actor: { userId: t.userId },
        target: { type: 'session', id: t.familyId },
        meta,
      });
      throw new UnauthorizedException();
    }
    if (spent.kind === 'invalid') {
      await this.audit.record({ action: 'auth.refresh', result: 'failure', tenantId: null, meta, details: { reason: 'invalid' } });
      throw new UnauthorizedException();
    }
    const t = spent.token;
    const [user, tenant] = await Promise.all([this.users.findById(t.userId), this.tenants.findById(t.tenantId)]);
    if (!user || user.status !== 'active' || tenant?.status !== 'active') {
      await this.sessions.revokeSession(t.familyId, 'account_inactive');
      await this.audit.record({ action: 'auth.refresh', result: 'denied', tenantId: t.tenantId, actor: { userId: t.userId }, meta });
      throw new UnauthorizedException();
    }
    return this.audit.change(async () => {
      const pair = await this.sessions.issue({ id: user.id, tenantId: user.tenantId, roles: user.roles.map((r) => r.key) }, meta, {
        familyId: t.familyId,
        parentId: t.id,
      });
      if (!pair) {
        // The session was revoked (logout-all, password reset, reuse) while this refresh was in flight.
        await this.audit.record({ action: 'auth.refresh', result: 'denied', tenantId: t.tenantId, actor: { userId: t.userId }, meta, details: { reason: 'revoked_in_flight' } });
        throw new UnauthorizedException();
      }
      await this.audit.record({ action: 'auth.refresh', result: 'success', tenantId: user.tenantId, actor: { userId: user.id }, meta });
      return pair;
    });
  }

  async logout(p: Principal, meta: RequestMeta): Promise<void> {
    return this.audit.change(async () => {
      await this.sessions.revokeSession(p.sid, 'logout');
      await this.sessions.denyAccessToken(p.jti, p.exp);
      await this.audit.record({ action: 'auth.logout', result: 'success', tenantId: p.tenantId, actor: p, target: { type: 'session', id: p.sid }, meta });
    });
  }

  async logoutAll(p: Principal, meta: RequestMeta): Promise<void> {
    return this.audit.change(async () => {
      const sessions = await this.sessions.revokeAllForUser(p.userId, 'logout_all');
      await this.sessions.revokeSession(p.sid, 'logout_all');
      await this.sessions.denyAccessToken(p.jti, p.exp);
      await this.audit.record({
        action: 'auth.logout_all',
        result: 'success',
        tenantId: p.tenantId,
        actor: p,
        target: { type: 'user', id: p.userId },
        meta,
        details: { sessions },
      });
    });
  }
}
