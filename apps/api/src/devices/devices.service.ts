import { Injectable, NotFoundException } from '@nestjs/common';
import { isUuid } from '@pbx/common';
import {
  DeviceEntity,
  DevicePatch,
  DevicesRepository,
  ExtensionsRepository,
  foreignKeyViolation,
  ListQuery,
  Page,
  TenantsRepository,
  uniqueViolation,
} from '@pbx/database';
import { randomBytes } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import type { Principal, RequestMeta } from '../auth/principal';
import { InvalidationService } from '../redis/invalidation.service';
import { unprocessable } from '../http/validation';
import { digestsOf, generateSipPassword } from './device-credentials';
import type { CreateDeviceDto, UpdateDeviceDto } from './dto/device.dto';

const USERNAME_TAKEN = 'The sip_username has already been taken.';
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const STATUSES = ['active', 'suspended', 'locked'];

/** 'd' and 10 base32 characters (50 bits): lower case, so it survives case-folding SIP stacks. */
function generateUsername(): string {
  return `d${[...randomBytes(10)].map((b) => BASE32[b & 31]).join('')}`;
}

export interface WithCredentials {
  device: DeviceEntity;
  password: string;
  realm: string;
}

/**
 * Devices of the caller's tenant. The SIP password exists only in the response that reveals it:
 * what is stored is its two HA1s over the tenant's realm, and neither ever leaves the database
 * through the API, the audit log or a log line.
 */
@Injectable()
export class DevicesService {
  constructor(
    private readonly devices: DevicesRepository,
    private readonly extensions: ExtensionsRepository,
    private readonly tenants: TenantsRepository,
    private readonly audit: AuditService,
    private readonly invalidation: InvalidationService,
  ) {}

  list(p: Principal, q: ListQuery): Promise<Page<DeviceEntity>> {
    const errors: Record<string, string[]> = {};
    if (q.filters.status !== undefined && !STATUSES.includes(q.filters.status))
      errors['filter.status'] = [`The filter status must be one of: ${STATUSES.join(', ')}.`];
    if (q.filters.extension_id !== undefined && !isUuid(q.filters.extension_id))
      errors['filter.extension_id'] = ['The filter extension_id must be a UUID.'];
    if (Object.keys(errors).length) throw unprocessable(errors);
    return this.devices.list(p.tenantId, q);
  }

  async get(p: Principal, id: string): Promise<DeviceEntity> {
    const device = await this.devices.findInTenant(p.tenantId, id);
    if (!device) throw new NotFoundException();
    return device;
  }

  async create(p: Principal, dto: CreateDeviceDto, meta: RequestMeta): Promise<WithCredentials> {
    return this.audit.change(async () => {
      await this.assertExtensionInTenant(p, dto.extension_id);
      if (dto.sip_username !== undefined && (await this.devices.existsUsername(p.tenantId, dto.sip_username)))
        throw unprocessable({ sip_username: [USERNAME_TAKEN] });
      const realm = await this.realmOf(p);
      const password = generateSipPassword();
      let id: string | undefined;
      // A generated name clashing (50 bits per tenant) is all but impossible; retry rather than reason about it.
      for (let attempt = 0; id === undefined; attempt++) {
        const sipUsername = dto.sip_username ?? generateUsername();
        id = await this.devices
          .create({
            tenantId: p.tenantId,
            extensionId: dto.extension_id,
            name: dto.name,
            sipUsername,
            digestAlgorithms: dto.digest_algorithms ?? ['SHA-256', 'MD5'],
            transports: dto.transports ?? ['tls', 'wss'],
            allowedCidrs: dto.allowed_cidrs ?? [],
            maxRegistrations: dto.max_registrations ?? 3,
            status: dto.status ?? 'active',
            ...digestsOf(sipUsername, realm, password),
          })
          .catch((err: unknown) => {
            if (foreignKeyViolation(err) === 'fk_devices_extension') throw extensionInvalid();
            if (uniqueViolation(err) !== 'uq_devices_tenant_sip_username') throw err;
            if (dto.sip_username !== undefined || attempt >= 2)
              throw unprocessable({ sip_username: [USERNAME_TAKEN] });
            return undefined;
          });
      }
      const device = await this.get(p, id);
      await this.record(
        p,
        device.id,
        'device.created',
        {
          extension_id: device.extensionId,
          sip_username: device.sipUsername,
          username_generated: dto.sip_username === undefined,
        },
        meta,
      );
      await this.invalidation.publish('device', p.tenantId, device.id);
      await this.invalidation.publish('credentials', p.tenantId, device.id);
      return { device, password, realm };
    });
  }

  /** A new password; both old HA1s are overwritten in one statement, so the old password dies at once. */
  async rotateCredentials(p: Principal, id: string, meta: RequestMeta): Promise<WithCredentials> {
    return this.audit.change(async () => {
      const device = await this.get(p, id);
      const realm = await this.realmOf(p);
      const password = generateSipPassword();
      await this.devices.setDigests(device.id, digestsOf(device.sipUsername, realm, password));
      await this.record(p, device.id, 'device.credentials_rotated', { sip_username: device.sipUsername }, meta);
      await this.invalidation.publish('credentials', p.tenantId, device.id);
      return { device: await this.get(p, device.id), password, realm };
    });
  }

  async update(p: Principal, id: string, dto: UpdateDeviceDto, meta: RequestMeta): Promise<DeviceEntity> {
    return this.audit.change(async () => {
      const device = await this.get(p, id);
      const patch: DevicePatch = {};
      const fields: string[] = [];
      const set = <K extends keyof DevicePatch>(
        field: string,
        key: K,
        value: DevicePatch[K] | undefined,
        same: boolean,
      ) => {
        if (value === undefined || same) return;
        patch[key] = value;
        fields.push(field);
      };
      set('extension_id', 'extensionId', dto.extension_id, dto.extension_id === device.extensionId);
      set('name', 'name', dto.name, dto.name === device.name);
      set(
        'digest_algorithms',
        'digestAlgorithms',
        dto.digest_algorithms,
        sameSet(dto.digest_algorithms, device.digestAlgorithms),
      );
      set('transports', 'transports', dto.transports, sameSet(dto.transports, device.transports));
      set('allowed_cidrs', 'allowedCidrs', dto.allowed_cidrs, sameSet(dto.allowed_cidrs, device.allowedCidrs));
      set(
        'max_registrations',
        'maxRegistrations',
        dto.max_registrations,
        dto.max_registrations === device.maxRegistrations,
      );
      set('status', 'status', dto.status, dto.status === device.status);
      if (fields.length === 0) return device;
      if (patch.extensionId) await this.assertExtensionInTenant(p, patch.extensionId);
      // Unlocking is the lock's business (it records who lifted it and why), not a status edit's.
      if (patch.status && device.status === 'locked')
        throw unprocessable({ status: ['The device is locked; lift the lock to change its status.'] });
      await this.devices.update(device.id, patch).catch((err: unknown) => {
        if (foreignKeyViolation(err) === 'fk_devices_extension') throw extensionInvalid();
        throw err;
      });
      await this.record(p, device.id, 'device.updated', { fields: fields.sort() }, meta);
      await this.invalidation.publish('device', p.tenantId, device.id);
      if (patch.digestAlgorithms || patch.status)
        await this.invalidation.publish('credentials', p.tenantId, device.id);
      return this.get(p, device.id);
    });
  }

  async delete(p: Principal, id: string, meta: RequestMeta): Promise<void> {
    return this.audit.change(async () => {
      const device = await this.get(p, id);
      await this.devices.delete(p.tenantId, device.id);
      await this.record(p, device.id, 'device.deleted', { sip_username: device.sipUsername }, meta);
      await this.invalidation.publish('device', p.tenantId, device.id);
      await this.invalidation.publish('credentials', p.tenantId, device.id);
    });
  }

  private async realmOf(p: Principal): Promise<string> {
    const tenant = await this.tenants.findById(p.tenantId);
    if (!tenant) throw new NotFoundException();
    return tenant.sipRealm;
  }

  /** An extension of another tenant is reported exactly like one that does not exist. */
  private async assertExtensionInTenant(p: Principal, extensionId: string): Promise<void> {
    if (!(await this.extensions.findInTenant(p.tenantId, extensionId))) throw extensionInvalid();
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
      target: { type: 'device', id },
      meta,
      action,
      result: 'success',
      details,
    });
  }
}

function extensionInvalid() {
  return unprocessable({ extension_id: ['The selected extension_id is invalid.'] });
}

function sameSet(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a !== undefined && a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');
}
