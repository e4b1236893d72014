import { Injectable, NotFoundException } from '@nestjs/common';
import { canGrantRoles } from '@pbx/common';
import { ListQuery, Page, UserEntity, UsersRepository } from '@pbx/database';
import { randomBytes } from 'node:crypto';
import { AuditedForbiddenException } from '../audit/denied-access.filter';
import { AuditService } from '../audit/audit.service';
import { PasswordService } from '../auth/password.service';
import type { Principal, RequestMeta } from '../auth/principal';
import { SessionsService } from '../auth/sessions.service';
import { ProfileCacheService } from '../auth/profile-cache.service';
import { unprocessable } from '../http/validation';
import type { CreateUserDto, UpdateUserDto } from './dto/user.dto';

const EMAIL_TAKEN = 'The email has already been taken.';

/** 24 characters of base64url: 144 bits, well inside bcrypt's 72 bytes. */
function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

function isUniqueViolation(err: unknown, constraint: string): boolean {
  const e = err as {
    code?: unknown;
    constraint?: unknown;
    driverError?: { code?: unknown; constraint?: unknown };
  };
  const code = e.driverError?.code ?? e.code;
  const name = e.driverError?.constraint ?? e.constraint;
  return code === '23505' && name === constraint;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');
}

export interface WithGeneratedPassword<T> {
  user: T;
  generatedPassword: string | null;
}

/** Every operation is confined to the caller's tenant: a user elsewhere is answered as not existing. */
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly profiles: ProfileCacheService,
  ) {}

  list(p: Principal, q: ListQuery): Promise<Page<UserEntity>> {
    return this.users.list(p.tenantId, q);
  }

  async get(p: Principal, id: string): Promise<UserEntity> {
    const user = await this.users.findInTenant(p.tenantId, id);
    if (!user) throw new NotFoundException();
    return user;
  }

  async create(
    p: Principal,
    dto: CreateUserDto,
    meta: RequestMeta,
  ): Promise<WithGeneratedPassword<UserEntity>> {
    return this.audit.change(async () => {
      await this.assertMayGrant(p, dto.roles, 'user.created', null, meta);
      if (await this.users.existsByEmail(dto.email)) throw unprocessable({ email: [EMAIL_TAKEN] });
      const password = dto.password ?? generatePassword();
      const generatedPassword = dto.password === undefined ? password : null;
      const passwordHash = await this.passwords.hash(password);
      const user = await this.users
        .create({ tenantId: p.tenantId, email: dto.email, name: dto.name, passwordHash, roles: dto.roles })
        .catch((err: unknown) => {
          if (isUniqueViolation(err, 'uq_users_email')) throw unprocessable({ email: [EMAIL_TAKEN] });
          throw err;
        });
      await this.audit.record({
        ...this.base(p, user.id, meta),
        action: 'user.created',
        result: 'success',
        details: { roles: [...dto.roles].sort(), password_generated: generatedPassword !== null },
      });
      return { user: await this.get(p, user.id), generatedPassword };
    });
  }

  async update(p: Principal, id: string, dto: UpdateUserDto, meta: RequestMeta): Promise<UserEntity> {
    return this.audit.change(async () => {
      const user = await this.get(p, id);
      await this.assertMayManage(p, user, 'user.updated', meta);
      const currentRoles = user.roles.map((r) => r.key);
      const patch: UpdateUserDto = {};
      if (dto.name !== undefined && dto.name !== user.name) patch.name = dto.name;
      if (dto.email !== undefined && dto.email !== user.email) patch.email = dto.email;
      if (dto.roles !== undefined && !sameSet(dto.roles, currentRoles)) patch.roles = dto.roles;
      if (Object.keys(patch).length === 0) return user;

      if (patch.roles) await this.assertMayGrant(p, patch.roles, 'user.updated', user.id, meta);
      if (patch.email && (await this.users.existsByEmail(patch.email, user.id)))
        throw unprocessable({ email: [EMAIL_TAKEN] });
      await this.users.update(user, patch).catch((err: unknown) => {
        if (isUniqueViolation(err, 'uq_users_email')) throw unprocessable({ email: [EMAIL_TAKEN] });
        throw err;
      });
      await this.profiles.changed(user.tenantId, user.id);
      // Access tokens carry the roles they were minted with: ending the sessions makes a demotion bite now, not at expiry.
      const sessionsRevoked =
        patch.roles || patch.email ? await this.sessions.revokeAllForUser(user.id, 'account_changed') : 0;
      const details: Record<string, unknown> = {
        fields: Object.keys(patch).sort(),
        sessions_revoked: sessionsRevoked,
      };
      if (patch.roles) {
        details.roles_added = patch.roles.filter((r) => !currentRoles.includes(r)).sort();
        details.roles_removed = currentRoles.filter((r) => !patch.roles?.includes(r)).sort();
      }
      await this.audit.record({
        ...this.base(p, user.id, meta),
        action: 'user.updated',
        result: 'success',
        details,
      });
      return this.get(p, user.id);
    });
  }

  async deactivate(p: Principal, id: string, meta: RequestMeta): Promise<void> {
    return this.audit.change(async () => {
      const user = await this.get(p, id);
      if (user.id === p.userId) throw unprocessable({ id: ['You may not deactivate your own account.'] });
      await this.assertMayManage(p, user, 'user.deactivated', meta);
      if (user.status !== 'deactivated') await this.users.update(user, { status: 'deactivated' });
      await this.profiles.changed(user.tenantId, user.id);
      const sessionsRevoked = await this.sessions.revokeAllForUser(user.id, 'deactivated');
      await this.audit.record({
        ...this.base(p, user.id, meta),
        action: 'user.deactivated',
        result: 'success',
        details: { sessions_revoked: sessionsRevoked },
      });
    });
  }

  /** The password goes to bcrypt and nowhere else: not to the audit log, not to any log line. */
  async resetPassword(
    p: Principal,
    id: string,
    password: string | undefined,
    meta: RequestMeta,
  ): Promise<WithGeneratedPassword<UserEntity>> {
    return this.audit.change(async () => {
      const user = await this.get(p, id);
      await this.assertMayManage(p, user, 'user.password_reset', meta);
      const newPassword = password ?? generatePassword();
      const generatedPassword = password === undefined ? newPassword : null;
      await this.users.setPassword(user.id, await this.passwords.hash(newPassword));
      const sessionsRevoked = await this.sessions.revokeAllForUser(user.id, 'password_reset');
      await this.audit.record({
        ...this.base(p, user.id, meta),
        action: 'user.password_reset',
        result: 'success',
        details: { password_generated: generatedPassword !== null, sessions_revoked: sessionsRevoked },
      });
      return { user: await this.get(p, user.id), generatedPassword };
    });
  }

  /** Granting a role you could not hold yourself would be privilege escalation; platform_admin needs platform_admin. */
  private async assertMayGrant(
    p: Principal,
    roles: string[],
    action: string,
    targetId: string | null,
    meta: RequestMeta,
  ) {
    const refused = roles.filter((r) => !canGrantRoles(p.roles, [r])).sort();
    if (refused.length === 0) return;
    await this.audit.record({
      ...this.base(p, targetId, meta),
      action,
      result: 'denied',
      details: { reason: 'role_not_grantable', roles: refused },
    });
    throw unprocessable({
      roles: [`You may not grant the role${refused.length > 1 ? 's' : ''} ${refused.join(', ')}.`],
    });
  }

  /** Managing a user who holds a role you could not grant (a tenant admin and a platform admin) is refused. */
  private async assertMayManage(p: Principal, target: UserEntity, action: string, meta: RequestMeta) {
    const roles = target.roles.map((r) => r.key);
    if (canGrantRoles(p.roles, roles)) return;
    await this.audit.record({
      ...this.base(p, target.id, meta),
      action,
      result: 'denied',
      details: { reason: 'target_outranks_actor' },
    });
    throw new AuditedForbiddenException();
  }

  private base(p: Principal, targetId: string | null, meta: RequestMeta) {
    return { tenantId: p.tenantId, actor: p, target: { type: 'user', id: targetId }, meta };
  }
}
