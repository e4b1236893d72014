import { Injectable } from '@nestjs/common';
import { DataSource, In, Repository } from 'typeorm';
import {
  AlertEntity,
  AlertSeverity,
  DeviceEntity,
  DeviceStatus,
  DevicePolicyOverrideEntity,
  FraudPolicyEntity,
  TenantEntity,
} from '../entities';
import { managerOf } from '../unit-of-work';

export type FraudPolicyPatch = Partial<Omit<FraudPolicyEntity, 'tenantId' | 'updatedAt'>>;
export type DeviceOverridePatch = Partial<Omit<DevicePolicyOverrideEntity, 'deviceId' | 'tenantId' | 'updatedAt'>>;

/** What the policy needs of a tenant row. */
export interface TenantPolicyContext {
  id: string;
  defaultCountry: string;
  timezone: string;
  lockLevel: number;
  lockReason: string | null;
}

export interface DevicePolicyRow {
  id: string;
  tenantId: string;
  name: string;
  status: DeviceStatus;
  lockLevel: number;
  lockReason: string | null;
  allowedCidrs: string[];
}

export interface LockChange {
  previous: number;
  current: number;
  status?: DeviceStatus;
}

export interface NewAlert {
  tenantId: string;
  deviceId: string | null;
  kind: string;
  severity: AlertSeverity;
  title: string;
  details: Record<string, unknown>;
}

const DEVICE_COLUMNS = ['id', 'tenantId', 'name', 'status', 'lockLevel', 'lockReason', 'allowedCidrs'] as const;
const DEVICE_SELECT = Object.fromEntries(DEVICE_COLUMNS.map((c) => [c, true])) as Record<(typeof DEVICE_COLUMNS)[number], true>;

/** The tenant's fraud policy row, lock levels of tenants and devices, device overrides and policy alerts. */
@Injectable()
export class PolicyRepository {
  constructor(private readonly ds: DataSource) {}

  private get policies(): Repository<FraudPolicyEntity> {
    return managerOf(this.ds).getRepository(FraudPolicyEntity);
  }

  private get overrides(): Repository<DevicePolicyOverrideEntity> {
    return managerOf(this.ds).getRepository(DevicePolicyOverrideEntity);
  }

  private get tenants(): Repository<TenantEntity> {
    return managerOf(this.ds).getRepository(TenantEntity);
  }

  private get devices(): Repository<DeviceEntity> {
    return managerOf(this.ds).getRepository(DeviceEntity);
  }

  private get alerts(): Repository<AlertEntity> {
    return managerOf(this.ds).getRepository(AlertEntity);
  }

  /** Tenants get their row (with the column defaults) the first time anyone reads it. */
  async getOrCreatePolicy(tenantId: string): Promise<FraudPolicyEntity> {
    const existing = await this.policies.findOneBy({ tenantId });
    if (existing) return existing;
    await managerOf(this.ds).query(`INSERT INTO fraud_policies (tenant_id) VALUES ($1) ON CONFLICT (tenant_id) DO NOTHING`, [tenantId]);
    return this.policies.findOneByOrFail({ tenantId });
  }

  async updatePolicy(tenantId: string, patch: FraudPolicyPatch): Promise<FraudPolicyEntity> {
    await this.getOrCreatePolicy(tenantId);
    if (Object.keys(patch).length > 0) await this.policies.update({ tenantId }, patch);
    return this.policies.findOneByOrFail({ tenantId });
  }

  async tenantContext(tenantId: string): Promise<TenantPolicyContext | null> {
    const t = await this.tenants.findOne({
      where: { id: tenantId },
      select: { id: true, defaultCountry: true, timezone: true, lockLevel: true, lockReason: true },
    });
    return t
      ? { id: t.id, defaultCountry: t.defaultCountry, timezone: t.timezone, lockLevel: t.lockLevel, lockReason: t.lockReason }
      : null;
  }

  /** Sets the tenant's lock level, up or down (an admin's decision). */
  async setTenantLock(tenantId: string, level: number, reason: string | null): Promise<LockChange | null> {
    const [rows]: [Array<{ previous: number; current: number }>, number] = await managerOf(this.ds).query(
      `UPDATE tenants t SET lock_level = $2, lock_reason = $3, updated_at = now()
         FROM (SELECT id, lock_level AS previous FROM tenants WHERE id = $1 FOR UPDATE) old
        WHERE t.id = old.id
        RETURNING old.previous, t.lock_level AS current`,
      [tenantId, level, reason],
    );
    return rows[0] ?? null;
  }

  /** Raises the tenant's lock level to `level`; never lowers it. Null when it already was at least that. */
  async raiseTenantLock(tenantId: string, level: number, reason: string): Promise<LockChange | null> {
    const [rows]: [Array<{ previous: number; current: number }>, number] = await managerOf(this.ds).query(
      `UPDATE tenants t SET lock_level = $2, lock_reason = $3, updated_at = now()
         FROM (SELECT id, lock_level AS previous FROM tenants WHERE id = $1 FOR UPDATE) old
        WHERE t.id = old.id AND old.previous < $2
        RETURNING old.previous, t.lock_level AS current`,
      [tenantId, level, reason],
    );
    return rows[0] ?? null;
  }

  findDevice(tenantId: string, deviceId: string): Promise<DevicePolicyRow | null> {
    return this.devices.findOne({ where: { id: deviceId, tenantId }, select: DEVICE_SELECT });
  }

  /** Devices whose own row matters to the policy: a lock level or an IP allow-list, or listed in `ids`. */
  async devicesForPolicy(tenantId: string, ids: readonly string[]): Promise<DevicePolicyRow[]> {
    const qb = this.devices
      .createQueryBuilder('d')
      .select(DEVICE_COLUMNS.map((c) => `d.${c}`))
      .where('d.tenant_id = :tenantId', { tenantId })
      .andWhere(`(d.lock_level > 0 OR cardinality(d.allowed_cidrs) > 0${ids.length ? ' OR d.id IN (:...ids)' : ''})`, {
        ids,
      });
    return qb.orderBy('d.id').getMany();
  }

  /**
   * Sets a device's lock level. Locking (level > 0) moves an active device to 'locked'; unlocking
   * (level 0) moves a locked one back to 'active'. A suspended device stays suspended.
   */
  async setDeviceLock(
    tenantId: string,
    deviceId: string,
    level: number,
    reason: string | null,
    onlyRaise = false,
  ): Promise<LockChange | null> {
    const [rows]: [Array<{ previous: number; current: number; status: DeviceStatus }>, number] = await managerOf(this.ds).query(
      `UPDATE devices d SET lock_level = $3, lock_reason = $4, updated_at = now(),
              status = CASE WHEN $3 > 0 AND d.status = 'active' THEN 'locked'
                            WHEN $3 = 0 AND d.status = 'locked' THEN 'active'
                            ELSE d.status END
         FROM (SELECT id, lock_level AS previous FROM devices WHERE id = $2 AND tenant_id = $1 FOR UPDATE) old
        WHERE d.id = old.id AND ($5::boolean = false OR old.previous < $3)
        RETURNING old.previous, d.lock_level AS current, d.status`,
      [tenantId, deviceId, level, reason, onlyRaise],
    );
    return rows[0] ?? null;
  }

  findOverride(tenantId: string, deviceId: string): Promise<DevicePolicyOverrideEntity | null> {
    return this.overrides.findOneBy({ tenantId, deviceId });
  }

  listOverrides(tenantId: string): Promise<DevicePolicyOverrideEntity[]> {
    return this.overrides.find({ where: { tenantId }, order: { deviceId: 'ASC' } });
  }

  async upsertOverride(tenantId: string, deviceId: string, values: DeviceOverridePatch): Promise<DevicePolicyOverrideEntity> {
    await this.overrides.upsert({ ...values, tenantId, deviceId, updatedAt: new Date() }, ['deviceId']);
    return this.overrides.findOneByOrFail({ tenantId, deviceId });
  }

  async deleteOverride(tenantId: string, deviceId: string): Promise<boolean> {
    const r = await this.overrides.delete({ tenantId, deviceId });
    return (r.affected ?? 0) > 0;
  }

  insertAlert(alert: NewAlert): Promise<AlertEntity> {
    return this.alerts.save(this.alerts.create({ ...alert, status: 'open' }));
  }

  /** For tests and the alerts view of policy escalations. */
  alertsOf(tenantId: string, kinds: readonly string[]): Promise<AlertEntity[]> {
    return this.alerts.find({ where: { tenantId, kind: In([...kinds]) }, order: { createdAt: 'DESC' } });
  }
}
