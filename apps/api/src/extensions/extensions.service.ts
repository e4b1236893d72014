import { Injectable, NotFoundException } from '@nestjs/common';
import {
  ExtensionEntity,
  ExtensionPatch,
  ExtensionsRepository,
  foreignKeyViolation,
  ListQuery,
  Page,
  uniqueViolation,
  UsersRepository,
} from '@pbx/database';
import { AuditService } from '../audit/audit.service';
import type { Principal, RequestMeta } from '../auth/principal';
import { unprocessable } from '../http/validation';
import type { CreateExtensionDto, UpdateExtensionDto } from './dto/extension.dto';
import { InvalidationService } from '../redis/invalidation.service';

const NUMBER_TAKEN = 'The number has already been taken.';

/** Every operation is confined to the caller's tenant: an extension elsewhere is answered as not existing. */
@Injectable()
export class ExtensionsService {
  constructor(
    private readonly extensions: ExtensionsRepository,
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
    private readonly invalidation: InvalidationService,
  ) {}

  list(p: Principal, q: ListQuery): Promise<Page<ExtensionEntity>> {
    return this.extensions.list(p.tenantId, q);
  }

  async get(p: Principal, id: string): Promise<ExtensionEntity> {
    const ext = await this.extensions.findInTenant(p.tenantId, id);
    if (!ext) throw new NotFoundException();
    return ext;
  }

  async create(p: Principal, dto: CreateExtensionDto, meta: RequestMeta): Promise<ExtensionEntity> {
    return this.audit.change(async () => {
      await this.assertUserInTenant(p, dto.user_id ?? null);
      if (await this.extensions.existsNumber(p.tenantId, dto.number))
        throw unprocessable({ number: [NUMBER_TAKEN] });
      const ext = await this.extensions
        .create({ tenantId: p.tenantId, number: dto.number, name: dto.name, userId: dto.user_id ?? null })
        .catch(rethrowTaken);
      await this.record(p, ext.id, 'extension.created', { number: ext.number }, meta);
      return ext;
    });
  }

  async update(
    p: Principal,
    id: string,
    dto: UpdateExtensionDto,
    meta: RequestMeta,
  ): Promise<ExtensionEntity> {
    return this.audit.change(async () => {
      const ext = await this.get(p, id);
      const patch: ExtensionPatch = {};
      if (dto.number !== undefined && dto.number !== ext.number) patch.number = dto.number;
      if (dto.name !== undefined && dto.name !== ext.name) patch.name = dto.name;
      if (dto.user_id !== undefined && dto.user_id !== ext.userId) patch.userId = dto.user_id;
      if (Object.keys(patch).length === 0) return ext;
      if (patch.userId !== undefined) await this.assertUserInTenant(p, patch.userId);
      if (patch.number && (await this.extensions.existsNumber(p.tenantId, patch.number, ext.id)))
        throw unprocessable({ number: [NUMBER_TAKEN] });
      const fields = Object.keys(patch)
        .map((f) => (f === 'userId' ? 'user_id' : f))
        .sort();
      const updated = await this.extensions.update(ext, patch).catch(rethrowTaken);
      await this.record(p, ext.id, 'extension.updated', { fields }, meta);
      // The SIP app caches devices with their extension number (caller identity, internal dialling).
      if (patch.number) await this.invalidation.publish('device', p.tenantId, null);
      return updated;
    });
  }

  async delete(p: Principal, id: string, meta: RequestMeta): Promise<void> {
    return this.audit.change(async () => {
      const ext = await this.get(p, id);
      const devices = await this.extensions.countDevices(ext.id);
      if (devices > 0) throw inUse(devices);
      // A device added between the count and the delete trips the RESTRICT foreign key instead.
      await this.extensions.delete(p.tenantId, ext.id).catch((err: unknown) => {
        if (foreignKeyViolation(err) === 'fk_devices_extension') throw inUse(1);
        throw err;
      });
      await this.record(p, ext.id, 'extension.deleted', { number: ext.number }, meta);
    });
  }

  /** A user of another tenant is reported exactly like one that does not exist. */
  private async assertUserInTenant(p: Principal, userId: string | null): Promise<void> {
    if (userId === null) return;
    if (!(await this.users.findInTenant(p.tenantId, userId)))
      throw unprocessable({ user_id: ['The selected user_id is invalid.'] });
  }

  private record(
    p: Principal,
    id: string,
    action: string,
    details: Record<string, unknown>,
    meta: RequestMeta,
  ) {
    return this.audit.record({
      tenantId: p.tenantId,
      actor: p,
      target: { type: 'extension', id },
      meta,
      action,
      result: 'success',
      details,
    });
  }
}

function inUse(devices: number) {
  return unprocessable({
    id: [`The extension still has ${devices} device${devices === 1 ? '' : 's'}; delete or move them first.`],
  });
}

function rethrowTaken(err: unknown): never {
  if (uniqueViolation(err) === 'uq_extensions_tenant_number') throw unprocessable({ number: [NUMBER_TAKEN] });
  // The user is another tenant's (fk_extensions_user is composite), or was deleted meanwhile.
  if (foreignKeyViolation(err) === 'fk_extensions_user') throw unprocessable({ user_id: ['The selected user_id is invalid.'] });
  throw err;
}
