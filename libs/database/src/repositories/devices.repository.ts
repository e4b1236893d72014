import { Injectable } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import { DeviceEntity } from '../entities';
import { ListQuery, Page } from '../list-query';
import { pageOf } from './extensions.repository';
import { escapeLike } from './tenants.repository';
import { managerOf, transaction } from '../unit-of-work';

const SORTABLE: Record<string, string> = {
  name: 'name',
  sip_username: 'sipUsername',
  status: 'status',
  created_at: 'createdAt',
};

/** Both HA1s of one password; together they are the device's whole stored secret. */
export interface DeviceDigests {
  ha1Md5: string;
  ha1Sha256: string;
}

export type DeviceInsert = Pick<
  DeviceEntity,
  | 'tenantId'
  | 'extensionId'
  | 'name'
  | 'sipUsername'
  | 'digestAlgorithms'
  | 'transports'
  | 'allowedCidrs'
  | 'maxRegistrations'
  | 'status'
> &
  DeviceDigests;

export type DevicePatch = Partial<
  Pick<
    DeviceEntity,
    | 'extensionId'
    | 'name'
    | 'digestAlgorithms'
    | 'transports'
    | 'allowedCidrs'
    | 'maxRegistrations'
    | 'status'
  >
>;

/** What the SIP registrar needs of a device to authenticate and admit it. */
export type DeviceCredentials = Pick<
  DeviceEntity,
  'id' | 'tenantId' | 'extensionId' | 'sipUsername' | 'digestAlgorithms' | 'transports' | 'allowedCidrs' | 'maxRegistrations' | 'status' | 'lockLevel'
> &
  DeviceDigests;

/** Reads never select the HA1 columns, except `findDigests`, which the SIP registrar needs. */
@Injectable()
export class DevicesRepository {
  constructor(private readonly ds: DataSource) {}

  private get repo(): Repository<DeviceEntity> {
    return managerOf(this.ds).getRepository(DeviceEntity);
  }

  findInTenant(tenantId: string, id: string): Promise<DeviceEntity | null> {
    return this.repo.findOneBy({ tenantId, id });
  }

  existsUsername(tenantId: string, sipUsername: string): Promise<boolean> {
    return this.repo.existsBy({ tenantId, sipUsername });
  }

  list(tenantId: string, q: ListQuery): Promise<Page<DeviceEntity>> {
    const qb = this.repo.createQueryBuilder('d').where('d.tenantId = :tenantId', { tenantId });
    if (q.filters.extension_id)
      qb.andWhere('CAST(d.extensionId AS text) = :ext', { ext: q.filters.extension_id });
    if (q.filters.status) qb.andWhere('d.status = :status', { status: q.filters.status });
    if (q.filters.name) qb.andWhere('d.name ILIKE :name', { name: `%${escapeLike(q.filters.name)}%` });
    if (q.filters.sip_username) qb.andWhere('d.sipUsername = :u', { u: q.filters.sip_username });
    return pageOf(qb, q, SORTABLE);
  }

  /** In a savepoint of its own, so a caller inside a transaction can retry after a name clash. */
  async create(data: DeviceInsert): Promise<string> {
    return transaction(this.ds, async (m) => {
      const result = await m.getRepository(DeviceEntity).insert({ ...data, credentialsRotatedAt: new Date() });
      return (result.identifiers[0] as { id: string }).id;
    });
  }

  async update(id: string, patch: DevicePatch): Promise<void> {
    if (Object.keys(patch).length) await this.repo.update({ id }, patch);
  }

  /** Replaces both HA1s at once: the old password stops working with the same statement. */
  async setDigests(id: string, digests: DeviceDigests): Promise<void> {
    await this.repo.update({ id }, { ...digests, credentialsRotatedAt: new Date() });
  }

  /**
   * Puts back digests replaced at `rotatedAt` (undo of a fraud rotation), only if no one rotated
   * them again since: a newer password is never silently replaced by an older one.
   */
  async restoreDigests(id: string, digests: DeviceDigests, rotatedAt: Date): Promise<boolean> {
    const [, count]: [unknown, number] = await managerOf(this.ds).query(
      `UPDATE devices SET ha1_md5 = $2, ha1_sha256 = $3, credentials_rotated_at = now(), updated_at = now()
        WHERE id = $1 AND credentials_rotated_at = $4`,
      [id, digests.ha1Md5, digests.ha1Sha256, rotatedAt],
    );
    return count === 1;
  }

  /** The devices that ring when the extension is called. */
  async idsOfExtension(tenantId: string, extensionId: string): Promise<string[]> {
    const rows = await this.repo.find({ select: { id: true }, where: { tenantId, extensionId }, order: { createdAt: 'ASC' } });
    return rows.map((r) => r.id);
  }

  /**
   * Plain SQL, not the query builder: the SIP app's account cache calls this for every device every
   * cache period, and TypeORM's query building and entity mapping cost some 0.5 ms of CPU a call.
   */
  async findDigests(tenantId: string, sipUsername: string): Promise<DeviceCredentials | null> {
    const rows: Array<Record<string, unknown>> = await managerOf(this.ds).query(
      `SELECT id, extension_id, sip_username, digest_algorithms, transports, allowed_cidrs, max_registrations, status,
              lock_level, ha1_md5, ha1_sha256
         FROM devices WHERE tenant_id = $1 AND sip_username = $2 LIMIT 1`,
      [tenantId, sipUsername],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      id: r.id as string,
      tenantId,
      extensionId: r.extension_id as string,
      sipUsername: r.sip_username as string,
      digestAlgorithms: r.digest_algorithms as DeviceEntity['digestAlgorithms'],
      transports: r.transports as DeviceEntity['transports'],
      allowedCidrs: r.allowed_cidrs as string[],
      maxRegistrations: r.max_registrations as number,
      status: r.status as DeviceEntity['status'],
      lockLevel: r.lock_level as number,
      ha1Md5: r.ha1_md5 as string,
      ha1Sha256: r.ha1_sha256 as string,
    };
  }

  async delete(tenantId: string, id: string): Promise<void> {
    await this.repo.delete({ tenantId, id });
  }
}

export const DEVICE_SORTABLE = Object.keys(SORTABLE);
