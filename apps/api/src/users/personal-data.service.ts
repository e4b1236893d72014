import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { canGrantRoles } from '@pbx/common';
import { AuditLogRepository, EXPORT_CDR_LIMIT, PersonalDataRepository, UserEntity, UsersRepository } from '@pbx/database';
import { createHmac } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { AuditedForbiddenException } from '../audit/denied-access.filter';
import { presentAuditEntry } from '../audit/audit-log.presenter';
import type { Principal, RequestMeta } from '../auth/principal';
import { ProfileCacheService } from '../auth/profile-cache.service';
import { SessionsService } from '../auth/sessions.service';
import { presentCdr } from '../cdrs/cdr.presenter';
import { API_CONFIG, ApiConfig } from '../config/api-config';
import { presentDevice } from '../devices/device.presenter';
import { presentExtension } from '../extensions/extension.presenter';
import { unprocessable } from '../http/validation';
import { InvalidationService } from '../redis/invalidation.service';
import type { ErasureResource, UserExportResource } from './dto/personal-data.dto';
import { presentUser } from './user.presenter';

/**
 * GDPR access (export) and erasure of a user of the caller's tenant. Both are audited and need a
 * permission of their own (users.export, users.erase). What erasure keeps, and why, is in the README.
 */
@Injectable()
export class PersonalDataService {
  constructor(
    private readonly users: UsersRepository,
    private readonly personal: PersonalDataRepository,
    private readonly auditLog: AuditLogRepository,
    private readonly audit: AuditService,
    private readonly sessions: SessionsService,
    private readonly profiles: ProfileCacheService,
    private readonly invalidation: InvalidationService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  async export(p: Principal, id: string, meta: RequestMeta): Promise<UserExportResource> {
    const user = await this.get(p, id);
    const data = await this.personal.collect(p.tenantId, user.id);
    const audit = await this.auditLog.aboutUser(user.id);
    await this.audit.record({
      ...this.base(p, user.id, meta),
      action: 'user.exported',
      result: 'success',
      details: { devices: data.devices.length, cdrs: data.cdrs.length, audit_entries: audit.length },
    });
    return {
      user: presentUser(user),
      extensions: data.extensions.map(presentExtension),
      devices: data.devices.map(presentDevice),
      cdrs: data.cdrs.map((c) => presentCdr(c, true)),
      cdrs_truncated: data.cdrs.length >= EXPORT_CDR_LIMIT,
      audit_entries: audit.map(presentAuditEntry),
    };
  }

  async erase(p: Principal, id: string, meta: RequestMeta): Promise<ErasureResource> {
    const user = await this.get(p, id);
    if (user.id === p.userId) throw unprocessable({ id: ['You may not erase your own account.'] });
    if (!canGrantRoles(p.roles, user.roles.map((r) => r.key))) {
      await this.audit.record({ ...this.base(p, user.id, meta), action: 'user.erased', result: 'denied', details: { reason: 'target_outranks_actor' } });
      throw new AuditedForbiddenException();
    }
    // Before the row goes: its sessions' access tokens join the deny-list.
    const sessionsRevoked = await this.sessions.revokeAllForUser(user.id, 'erased');
    return this.audit.change(async () => {
      const erased = await this.personal.erase(p.tenantId, user.id, this.pseudonymKey());
      const auditErased = await this.auditLog.erasePersonal(user.id, user.email);
      const result: ErasureResource = {
        user_id: user.id,
        devices_deleted: erased.deviceIds.length,
        extensions_unassigned: erased.extensionsUnlinked,
        cdrs_pseudonymised: erased.cdrsPseudonymised,
        audit_entries_erased: auditErased.erased,
        audit_entries_kept: auditErased.kept,
        sessions_revoked: sessionsRevoked,
      };
      // Counts only: the entry that records the erasure must not bring back what it erased.
      const { devices_deleted, cdrs_pseudonymised, audit_entries_erased, audit_entries_kept } = result;
      await this.audit.record({
        ...this.base(p, user.id, meta),
        action: 'user.erased',
        result: 'success',
        details: { devices_deleted, cdrs_pseudonymised, audit_entries_erased, audit_entries_kept, sessions_revoked: sessionsRevoked },
      });
      for (const deviceId of erased.deviceIds) {
        await this.invalidation.publish('device', p.tenantId, deviceId);
        await this.invalidation.publish('credentials', p.tenantId, deviceId);
      }
      await this.profiles.changed(p.tenantId, user.id);
      return result;
    });
  }

  private async get(p: Principal, id: string): Promise<UserEntity> {
    const user = await this.users.findInTenant(p.tenantId, id);
    if (!user) throw new NotFoundException();
    return user;
  }

  /** Derived from the audit key, never stored: pseudonyms can't be reversed, or recomputed, without it. */
  private pseudonymKey(): string {
    return createHmac('sha256', this.config.AUDIT_HMAC_KEY).update('pbx:gdpr-pseudonym').digest('hex');
  }

  private base(p: Principal, targetId: string, meta: RequestMeta) {
    return { tenantId: p.tenantId, actor: p, target: { type: 'user', id: targetId }, meta };
  }
}
