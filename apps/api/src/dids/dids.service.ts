import { Injectable, NotFoundException } from '@nestjs/common';
import {
  DidEntity,
  DidFields,
  DidsRepository,
  ExtensionsRepository,
  foreignKeyViolation,
  ListQuery,
  NumberAssignmentsRepository,
  Page,
  TenantsRepository,
  TrunksRepository,
  uniqueViolation,
} from '@pbx/database';
import { normalizeDestination } from '@pbx/policy';
import { AuditService } from '../audit/audit.service';
import type { Principal, RequestMeta } from '../auth/principal';
import { InvalidationService } from '../redis/invalidation.service';
import { unprocessable } from '../http/validation';
import type { CreateDidDto, UpdateDidDto } from './dto/did.dto';

const NUMBER_TAKEN = 'The number has already been taken.';
const E164 = /^\+[1-9][0-9]{5,14}$/;

/** Inbound numbers of the caller's tenant. A number is unique platform-wide: it can ring in one place only. */
@Injectable()
export class DidsService {
  constructor(
    private readonly dids: DidsRepository,
    private readonly trunks: TrunksRepository,
    private readonly extensions: ExtensionsRepository,
    private readonly tenants: TenantsRepository,
    private readonly numbers: NumberAssignmentsRepository,
    private readonly audit: AuditService,
    private readonly invalidation: InvalidationService,
  ) {}

  list(p: Principal, q: ListQuery): Promise<Page<DidEntity>> {
    return this.dids.list(p.tenantId, q);
  }

  async get(p: Principal, id: string): Promise<DidEntity> {
    const did = await this.dids.findInTenant(p.tenantId, id);
    if (!did) throw new NotFoundException();
    return did;
  }

  async create(p: Principal, dto: CreateDidDto, meta: RequestMeta): Promise<DidEntity> {
    return this.audit.change(async () => {
      const number = await this.normalise(p, dto.number);
      await this.assertReferences(p, dto.trunk_id, dto.extension_id ?? null);
      if (await this.dids.existsNumber(number)) throw unprocessable({ number: [NUMBER_TAKEN] });
      await this.assertAssigned(p, number);
      const did = await this.dids
        .create({ tenantId: p.tenantId, number, trunkId: dto.trunk_id, extensionId: dto.extension_id ?? null })
        .catch(rethrowTaken);
      await this.record(p, did.id, 'did.created', { number, trunk_id: did.trunkId }, meta);
      await this.invalidation.publish('route', p.tenantId, did.id);
      return did;
    });
  }

  async update(p: Principal, id: string, dto: UpdateDidDto, meta: RequestMeta): Promise<DidEntity> {
    return this.audit.change(async () => {
      const did = await this.get(p, id);
      const patch: Partial<DidFields> = {};
      if (dto.number !== undefined) {
        const number = await this.normalise(p, dto.number);
        if (number !== did.number) patch.number = number;
      }
      if (dto.trunk_id !== undefined && dto.trunk_id !== did.trunkId) patch.trunkId = dto.trunk_id;
      if (dto.extension_id !== undefined && dto.extension_id !== did.extensionId)
        patch.extensionId = dto.extension_id;
      if (Object.keys(patch).length === 0) return did;
      await this.assertReferences(p, patch.trunkId, patch.extensionId ?? null);
      if (patch.number && (await this.dids.existsNumber(patch.number, did.id)))
        throw unprocessable({ number: [NUMBER_TAKEN] });
      if (patch.number) await this.assertAssigned(p, patch.number);
      const fields = Object.keys(patch)
        .map((f) => f.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`))
        .sort();
      const updated = await this.dids.update(did, patch).catch(rethrowTaken);
      await this.record(p, did.id, 'did.updated', { fields }, meta);
      await this.invalidation.publish('route', p.tenantId, did.id);
      return updated;
    });
  }

  async delete(p: Principal, id: string, meta: RequestMeta): Promise<void> {
    return this.audit.change(async () => {
      const did = await this.get(p, id);
      await this.dids.delete(p.tenantId, did.id);
      await this.record(p, did.id, 'did.deleted', { number: did.number }, meta);
      await this.invalidation.publish('route', p.tenantId, did.id);
    });
  }

  /** National formats are read in the tenant's default country; short codes and junk are refused. */
  private async normalise(p: Principal, raw: string): Promise<string> {
    const tenant = await this.tenants.findById(p.tenantId);
    if (!tenant) throw new NotFoundException();
    // No emergency or internal short codes: a DID is always a full public number.
    const n = normalizeDestination(raw, tenant.defaultCountry, {
      emergencyNumbers: [],
      internalPattern: /^$/,
    });
    if (n.kind !== 'e164' || !E164.test(n.e164))
      throw unprocessable({
        number: [
          `The number field must be a valid phone number (E.164, or national in ${tenant.defaultCountry}).`,
        ],
      });
    return n.e164;
  }

  /** Numbers are the platform's to give: a tenant uses only those assigned to it (README, "Numbers"). */
  private async assertAssigned(p: Principal, number: string): Promise<void> {
    if ((await this.numbers.find(number))?.tenantId !== p.tenantId) throw notAssigned();
  }

  /** A trunk or extension of another tenant is reported exactly like one that does not exist. */
  private async assertReferences(
    p: Principal,
    trunkId: string | undefined,
    extensionId: string | null,
  ): Promise<void> {
    const errors: Record<string, string[]> = {};
    if (trunkId !== undefined && !(await this.trunks.findInTenant(p.tenantId, trunkId)))
      errors.trunk_id = ['The selected trunk_id is invalid.'];
    if (extensionId !== null && !(await this.extensions.findInTenant(p.tenantId, extensionId)))
      errors.extension_id = ['The selected extension_id is invalid.'];
    if (Object.keys(errors).length) throw unprocessable(errors);
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
      target: { type: 'did', id },
      meta,
      action,
      result: 'success',
      details,
    });
  }
}

function rethrowTaken(err: unknown): never {
  if (uniqueViolation(err) === 'uq_dids_number') throw unprocessable({ number: [NUMBER_TAKEN] });
  // The trunk or extension was deleted between our check and the write.
  const fk = foreignKeyViolation(err);
  if (fk === 'fk_dids_trunk') throw unprocessable({ trunk_id: ['The selected trunk_id is invalid.'] });
  if (fk === 'fk_dids_number') throw notAssigned();
  if (fk === 'fk_dids_extension')
    throw unprocessable({ extension_id: ['The selected extension_id is invalid.'] });
  throw err;
}

function notAssigned() {
  return unprocessable({ number: ['The number is not assigned to your tenant; a platform admin assigns numbers.'] });
}
