import { Injectable, NotFoundException } from '@nestjs/common';
import { ListQuery, Page, TenantEntity, TenantsRepository, uniqueViolation, UserEntity, UsersRepository } from '@pbx/database';
import { randomBytes } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import type { Principal, RequestMeta } from '../auth/principal';
import { PasswordService } from '../auth/password.service';
import { SessionsService } from '../auth/sessions.service';
import { unprocessable } from '../http/validation';
import type { CreateTenantDto, UpdateTenantDto } from './dto/tenant.dto';

const SLUG_TAKEN = 'The slug has already been taken.';
const EMAIL_TAKEN = 'The email has already been taken.';

export interface CreatedTenant {
  tenant: TenantEntity;
  /** The first admin, with the password shown once in the response and stored nowhere but as a bcrypt hash. */
  admin: { user: UserEntity; password: string } | null;
}

/** 24 characters of base64url (144 bits), as for users created without a password. */
function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

type TenantPatch = Partial<
  Pick<TenantEntity, 'name' | 'status' | 'defaultCountry' | 'timezone' | 'srtpRequired' | 'codecAllowList'>
>;

function isSlugViolation(err: unknown): boolean {
  const e = err as { driverError?: { code?: unknown; constraint?: unknown } };
  return e.driverError?.code === '23505' && e.driverError.constraint === 'uq_tenants_slug';
}

/**
 * Platform admins (tenants.manage) see and change every tenant. Anyone else with tenants.view
 * sees only their own, and another tenant is answered exactly as one that does not exist.
 */
@Injectable()
export class TenantsService {
  constructor(
    private readonly tenants: TenantsRepository,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly passwords: PasswordService,
  ) {}

  list(p: Principal, q: ListQuery): Promise<Page<TenantEntity>> {
    return this.tenants.list(q, p.permissions.has('tenants.manage') ? undefined : p.tenantId);
  }

  async get(p: Principal, id: string): Promise<TenantEntity> {
    const tenant =
      p.permissions.has('tenants.manage') || id === p.tenantId ? await this.tenants.findById(id) : null;
    if (!tenant) throw new NotFoundException();
    return tenant;
  }

  /** With `dto.admin`, the tenant and its first admin are created together, or neither is. */
  async create(p: Principal, dto: CreateTenantDto, meta: RequestMeta): Promise<CreatedTenant> {
    const admin = dto.admin;
    // Hashed before the transaction opens: bcrypt is slow and needs no connection.
    const password = admin ? generatePassword() : null;
    const passwordHash = password ? await this.passwords.hash(password) : null;
    return this.audit.change(async () => {
      if (admin && (await this.users.existsByEmail(admin.email)))
        throw unprocessable({ 'admin.email': [EMAIL_TAKEN] });
      if (await this.tenants.findBySlug(dto.slug)) throw unprocessable({ slug: [SLUG_TAKEN] });
      const tenant = await this.tenants
        .create({
          name: dto.name,
          slug: dto.slug,
          status: dto.status ?? 'active',
          defaultCountry: dto.default_country ?? 'US',
          timezone: dto.timezone ?? 'UTC',
          srtpRequired: dto.srtp_required ?? true,
          codecAllowList: dto.codec_allow_list ?? [],
        })
        .catch((err: unknown) => {
          if (isSlugViolation(err)) throw unprocessable({ slug: [SLUG_TAKEN] });
          throw err;
        });
      await this.record(p, tenant.id, 'tenant.created', { slug: tenant.slug, status: tenant.status }, meta);
      if (!admin || !password || !passwordHash) return { tenant, admin: null };
      const user = await this.users
        .create({ tenantId: tenant.id, email: admin.email, name: admin.name, passwordHash, roles: ['tenant_admin'] })
        .catch((err: unknown) => {
          if (uniqueViolation(err) === 'uq_users_email') throw unprocessable({ 'admin.email': [EMAIL_TAKEN] });
          throw err;
        });
      await this.audit.record({
        action: 'user.created',
        result: 'success',
        tenantId: tenant.id,
        actor: p,
        target: { type: 'user', id: user.id },
        meta,
        details: { roles: ['tenant_admin'], password_generated: true, onboarding: true },
      });
      return { tenant, admin: { user, password } };
    });
  }

  async update(p: Principal, id: string, dto: UpdateTenantDto, meta: RequestMeta): Promise<TenantEntity> {
    return this.audit.change(async () => {
      const tenant = await this.get(p, id);
      const patch: TenantPatch = {};
      if (dto.name !== undefined && dto.name !== tenant.name) patch.name = dto.name;
      if (dto.status !== undefined && dto.status !== tenant.status) patch.status = dto.status;
      if (dto.default_country !== undefined && dto.default_country !== tenant.defaultCountry)
        patch.defaultCountry = dto.default_country;
      if (dto.timezone !== undefined && dto.timezone !== tenant.timezone) patch.timezone = dto.timezone;
      if (dto.srtp_required !== undefined && dto.srtp_required !== tenant.srtpRequired) patch.srtpRequired = dto.srtp_required;
      if (dto.codec_allow_list !== undefined && dto.codec_allow_list.join() !== tenant.codecAllowList.join())
        patch.codecAllowList = [...new Set(dto.codec_allow_list)];
      if (Object.keys(patch).length === 0) return tenant;
      // Suspending your own tenant would lock out the only people able to lift the suspension.
      if (patch.status === 'suspended' && id === p.tenantId)
        throw unprocessable({ status: ['You may not suspend your own tenant.'] });

      const updated = await this.tenants.update(id, patch);
      if (!updated) throw new NotFoundException();
      const details: Record<string, unknown> = { fields: Object.keys(patch).map(snake).sort() };
      if (patch.status) details.status = patch.status;
      // Login and refresh already refuse a suspended tenant; this ends the access tokens it still holds.
      if (patch.status === 'suspended') details.sessions_revoked = await this.revokeTenantSessions(id);
      const action =
        patch.status === 'suspended' ? 'tenant.suspended' : patch.status === 'active' ? 'tenant.reactivated' : 'tenant.updated';
      await this.record(p, id, action, details, meta);
      return updated;
    });
  }

  private async revokeTenantSessions(tenantId: string): Promise<number> {
    let revoked = 0;
    for (let page = 1; ; page++) {
      const batch = await this.users.list(tenantId, { page, perPage: 500, sort: [], filters: {} });
      for (const u of batch.items) revoked += await this.sessions.revokeAllForUser(u.id, 'tenant_suspended');
      if (page * 500 >= batch.total) return revoked;
    }
  }

  /** In the actor's chain, and in the tenant's own chain too, so its auditors see what was done to it. */
  private async record(
    p: Principal,
    tenantId: string,
    action: string,
    details: Record<string, unknown>,
    meta: RequestMeta,
  ) {
    const event = {
      action,
      result: 'success' as const,
      actor: p,
      target: { type: 'tenant', id: tenantId },
      meta,
      details,
    };
    await this.audit.record({ ...event, tenantId: p.tenantId });
    if (tenantId !== p.tenantId) await this.audit.record({ ...event, tenantId });
  }
}

function snake(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
