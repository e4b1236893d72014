import { Injectable, NotFoundException } from '@nestjs/common';
import { DevicePolicyOverrideEntity, DevicePolicyRow, PolicyRepository } from '@pbx/database';
import { AuditService } from '../audit/audit.service';
import type { Principal, RequestMeta } from '../auth/principal';
import type { DeviceOverrideDto, LockLevelDto } from './dto/policy.dto';
import { auditBase } from './policy-audit';
import { PolicyRuntime } from './policy-runtime.service';

export interface DevicePolicy {
  device: DevicePolicyRow;
  override: DevicePolicyOverrideEntity | null;
}

/** Per-device overrides of the tenant policy and device lock levels; a device elsewhere is a 404. */
@Injectable()
export class DevicePolicyService {
  constructor(
    private readonly policies: PolicyRepository,
    private readonly runtime: PolicyRuntime,
    private readonly audit: AuditService,
  ) {}

  async get(p: Principal, deviceId: string): Promise<DevicePolicy> {
    const device = await this.policies.findDevice(p.tenantId, deviceId);
    if (!device) throw new NotFoundException();
    return { device, override: await this.policies.findOverride(p.tenantId, deviceId) };
  }

  async replace(p: Principal, deviceId: string, dto: DeviceOverrideDto, meta: RequestMeta): Promise<DevicePolicy> {
    return this.audit.change(async () => {
      await this.get(p, deviceId);
      const values = {
        maxDurationSeconds: dto.max_duration_seconds ?? null,
        maxConcurrent: dto.max_concurrent ?? null,
        maxCallsPerMinute: dto.max_calls_per_minute ?? null,
        maxCallsPerHour: dto.max_calls_per_hour ?? null,
        stepUpEnabled: dto.step_up_enabled ?? null,
      };
      await this.policies.upsertOverride(p.tenantId, deviceId, values);
      const set = Object.entries(dto)
        .filter(([, v]) => v !== undefined && v !== null)
        .map(([k]) => k)
        .sort();
      await this.audit.record({
        ...auditBase(p, 'device', deviceId, meta),
        action: 'policy.device_override.updated',
        details: { fields: set },
      });
      await this.runtime.changed(p.tenantId, deviceId);
      return this.get(p, deviceId);
    });
  }

  async remove(p: Principal, deviceId: string, meta: RequestMeta): Promise<void> {
    return this.audit.change(async () => {
      await this.get(p, deviceId);
      const removed = await this.policies.deleteOverride(p.tenantId, deviceId);
      if (!removed) return;
      await this.audit.record({ ...auditBase(p, 'device', deviceId, meta), action: 'policy.device_override.deleted' });
      await this.runtime.changed(p.tenantId, deviceId);
    });
  }

  /** Locking sets an active device's status to 'locked'; lowering to 0 makes a locked one active again. */
  async setLock(p: Principal, deviceId: string, dto: LockLevelDto, meta: RequestMeta): Promise<DevicePolicy> {
    return this.audit.change(async () => {
      const reason = dto.level > 0 ? dto.reason || null : null;
      const change = await this.policies.setDeviceLock(p.tenantId, deviceId, dto.level, reason);
      if (!change) throw new NotFoundException();
      await this.audit.record({
        ...auditBase(p, 'device', deviceId, meta),
        action: 'device.lock_level.changed',
        details: { from: change.previous, to: change.current, status: change.status ?? null, reason },
      });
      // 'device' too: the registrar caches the device row, whose status may have changed.
      await this.runtime.changed(p.tenantId, deviceId, ['policy', 'device']);
      return this.get(p, deviceId);
    });
  }
}
