import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { CdrEntity, DeviceEntity, ExtensionEntity } from '../entities';
import { managerOf } from '../unit-of-work';

/** What the system holds about a user beyond their own row: extensions assigned to them, their devices and their calls. */
export interface PersonalData {
  extensions: ExtensionEntity[];
  devices: DeviceEntity[];
  cdrs: CdrEntity[];
}

export interface Erasure {
  deviceIds: string[];
  extensionsUnlinked: number;
  cdrsPseudonymised: number;
}

/** Caps an export; a user with more CDRs than this is exported in part and told so. */
export const EXPORT_CDR_LIMIT = 50_000;

/** The GDPR access and erasure queries, which span a user's row, their extensions, devices and CDRs. */
@Injectable()
export class PersonalDataRepository {
  constructor(private readonly ds: DataSource) {}

  async collect(tenantId: string, userId: string): Promise<PersonalData> {
    const m = managerOf(this.ds);
    const extensions = await m.getRepository(ExtensionEntity).find({ where: { tenantId, userId }, order: { number: 'ASC' } });
    const extensionIds = extensions.map((e) => e.id);
    const devices = extensionIds.length
      ? await m.getRepository(DeviceEntity).find({ where: { tenantId, extensionId: In(extensionIds) }, order: { createdAt: 'ASC' } })
      : [];
    const deviceIds = devices.map((d) => d.id);
    const cdrs =
      extensionIds.length || deviceIds.length
        ? await m
            .getRepository(CdrEntity)
            .createQueryBuilder('c')
            .where('c.tenantId = :tenantId', { tenantId })
            .andWhere('(c.deviceId IN (:...deviceIds) OR c.extensionId IN (:...extensionIds))', {
              deviceIds: deviceIds.length ? deviceIds : [null],
              extensionIds: extensionIds.length ? extensionIds : [null],
            })
            .orderBy('c.startedAt', 'ASC')
            .take(EXPORT_CDR_LIMIT)
            .getMany()
        : [];
    return { extensions, devices, cdrs };
  }

  /**
   * Erases a user: the numbers of the CDRs of their devices and extensions become keyed pseudonyms
   * (`pseudo:` and 16 hex digits of an HMAC, the same number always giving the same pseudonym, so
   * call statistics survive) and lose their source IP; their devices go (credentials with them);
   * their extensions stay in the tenant's numbering plan, unassigned and renamed after their number;
   * their row goes, and with it their roles and refresh tokens. Runs in the caller's transaction.
   */
  async erase(tenantId: string, userId: string, pseudonymKey: string): Promise<Erasure> {
    const m = managerOf(this.ds);
    const extensions: Array<{ id: string }> = await m.query(
      `SELECT id FROM extensions WHERE tenant_id = $1 AND user_id = $2`,
      [tenantId, userId],
    );
    const extensionIds = extensions.map((e) => e.id);
    const devices: Array<{ id: string }> = extensionIds.length
      ? await m.query(`SELECT id FROM devices WHERE tenant_id = $1 AND extension_id = ANY($2)`, [tenantId, extensionIds])
      : [];
    const deviceIds = devices.map((d) => d.id);
    const [, cdrsPseudonymised]: [unknown, number] = await m.query(
      `UPDATE cdrs SET
         from_number = CASE WHEN from_number LIKE 'pseudo:%' THEN from_number
                            ELSE 'pseudo:' || left(encode(hmac(from_number, $4, 'sha256'), 'hex'), 16) END,
         to_number = CASE WHEN to_number LIKE 'pseudo:%' THEN to_number
                          ELSE 'pseudo:' || left(encode(hmac(to_number, $4, 'sha256'), 'hex'), 16) END,
         source_ip = NULL
       WHERE tenant_id = $1 AND (device_id = ANY($2) OR extension_id = ANY($3))`,
      [tenantId, deviceIds, extensionIds, pseudonymKey],
    );
    if (deviceIds.length) await m.query(`DELETE FROM devices WHERE tenant_id = $1 AND id = ANY($2)`, [tenantId, deviceIds]);
    await m.query(`UPDATE extensions SET user_id = NULL, name = 'Extension ' || number, updated_at = now() WHERE tenant_id = $1 AND user_id = $2`, [
      tenantId,
      userId,
    ]);
    await m.query(`DELETE FROM users WHERE tenant_id = $1 AND id = $2`, [tenantId, userId]);
    return { deviceIds, extensionsUnlinked: extensionIds.length, cdrsPseudonymised };
  }
}
