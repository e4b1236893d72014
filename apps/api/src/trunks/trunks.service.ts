import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { encrypt, Keyring, trunkSecretAad } from '@pbx/common';
import {
  foreignKeyViolation,
  ListQuery,
  Page,
  SealedSecret,
  TrunkEntity,
  TrunkFields,
  TrunksRepository,
  uniqueViolation,
} from '@pbx/database';
import { randomUUID } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import type { Principal, RequestMeta } from '../auth/principal';
import { InvalidationService } from '../redis/invalidation.service';
import { unprocessable } from '../http/validation';
import type { CreateTrunkDto, UpdateTrunkDto } from './dto/trunk.dto';
import { SECRETS_KEYRING } from './keyring';

const NAME_TAKEN = 'The name has already been taken.';
const REGISTER_NEEDS_USERNAME = 'A trunk that registers needs an auth_username (its address of record).';

/** DTO field → entity property, for the fields copied as they are. */
const PLAIN_FIELDS = {
  name: 'name',
  host: 'host',
  port: 'port',
  transport: 'transport',
  auth_username: 'authUsername',
  max_channels: 'maxChannels',
  status: 'status',
  register: 'register',
  register_expires: 'registerExpires',
  allow_unanchored_media: 'allowUnanchoredMedia',
} as const satisfies Record<string, keyof TrunkFields>;

/**
 * Carriers of the caller's tenant. The outbound auth password is sealed with AES-256-GCM under
 * the newest key-encryption key, bound to its row; it is never returned, logged or audited.
 */
@Injectable()
export class TrunksService {
  constructor(
    private readonly trunks: TrunksRepository,
    private readonly audit: AuditService,
    private readonly invalidation: InvalidationService,
    @Inject(SECRETS_KEYRING) private readonly keyring: Keyring,
  ) {}

  list(p: Principal, q: ListQuery): Promise<Page<TrunkEntity>> {
    return this.trunks.list(p.tenantId, q);
  }

  async get(p: Principal, id: string): Promise<TrunkEntity> {
    const trunk = await this.trunks.findInTenant(p.tenantId, id);
    if (!trunk) throw new NotFoundException();
    return trunk;
  }

  async create(p: Principal, dto: CreateTrunkDto, meta: RequestMeta): Promise<TrunkEntity> {
    return this.audit.change(async () => {
      if (await this.trunks.existsName(p.tenantId, dto.name)) throw unprocessable({ name: [NAME_TAKEN] });
      if (dto.register && !dto.auth_username) throw unprocessable({ register: [REGISTER_NEEDS_USERNAME] });
      const id = randomUUID();
      const transport = dto.transport ?? 'tls';
      await this.trunks
        .create({
          id,
          tenantId: p.tenantId,
          name: dto.name,
          host: dto.host,
          port: dto.port ?? (transport === 'tls' ? 5061 : 5060),
          transport,
          authUsername: dto.auth_username ?? null,
          inboundCidrs: dto.inbound_cidrs ?? [],
          maxChannels: dto.max_channels ?? null,
          status: dto.status ?? 'active',
          register: dto.register ?? false,
          registerExpires: dto.register_expires ?? 600,
          allowUnanchoredMedia: dto.allow_unanchored_media ?? false,
          secret: this.seal(p.tenantId, id, dto.auth_password ?? null),
        })
        .catch(rethrowTaken);
      const trunk = await this.get(p, id);
      await this.record(
        p,
        id,
        'trunk.created',
        { name: trunk.name, has_auth_password: trunk.authSecretKeyVersion !== null },
        meta,
      );
      await this.invalidation.publish('trunk', p.tenantId, id);
      return trunk;
    });
  }

  async update(p: Principal, id: string, dto: UpdateTrunkDto, meta: RequestMeta): Promise<TrunkEntity> {
    return this.audit.change(async () => {
      const trunk = await this.get(p, id);
      const patch: Partial<TrunkFields> = {};
      const fields: string[] = [];
      for (const [field, prop] of Object.entries(PLAIN_FIELDS) as Array<
        [keyof typeof PLAIN_FIELDS, keyof TrunkFields]
      >) {
        const value = dto[field];
        if (value === undefined || value === trunk[prop]) continue;
        Object.assign(patch, { [prop]: value });
        fields.push(field);
      }
      if (dto.inbound_cidrs !== undefined && dto.inbound_cidrs.join(',') !== trunk.inboundCidrs.join(',')) {
        patch.inboundCidrs = dto.inbound_cidrs;
        fields.push('inbound_cidrs');
      }
      // A password is never compared with the stored one: sending it counts as a change.
      const clearsSecret = dto.auth_password === null && trunk.authSecretKeyVersion !== null;
      const secret = dto.auth_password
        ? this.seal(p.tenantId, id, dto.auth_password)
        : clearsSecret
          ? null
          : undefined;
      if (secret !== undefined) fields.push('auth_password');
      if (fields.length === 0) return trunk;
      if ((patch.register ?? trunk.register) && !(patch.authUsername !== undefined ? patch.authUsername : trunk.authUsername))
        throw unprocessable({ register: [REGISTER_NEEDS_USERNAME] });
      if (patch.name && (await this.trunks.existsName(p.tenantId, patch.name, id)))
        throw unprocessable({ name: [NAME_TAKEN] });
      await this.trunks.update(id, patch, secret).catch(rethrowTaken);
      await this.record(p, id, 'trunk.updated', { fields: fields.sort() }, meta);
      await this.invalidation.publish('trunk', p.tenantId, id);
      return this.get(p, id);
    });
  }

  async delete(p: Principal, id: string, meta: RequestMeta): Promise<void> {
    return this.audit.change(async () => {
      const trunk = await this.get(p, id);
      const refs = await this.trunks.countReferences(id);
      if (refs.dids > 0 || refs.routes > 0) throw inUse(refs);
      // DIDs would cascade, so they are counted above; a route added meanwhile trips its RESTRICT key.
      await this.trunks.delete(p.tenantId, id).catch((err: unknown) => {
        if (foreignKeyViolation(err) === 'fk_outbound_routes_trunk')
          throw inUse({ dids: refs.dids, routes: 1 });
        throw err;
      });
      await this.record(p, id, 'trunk.deleted', { name: trunk.name }, meta);
      await this.invalidation.publish('trunk', p.tenantId, id);
    });
  }

  private seal(tenantId: string, trunkId: string, password: string | null): SealedSecret | null {
    if (password === null) return null;
    return {
      ciphertext: encrypt(password, this.keyring, trunkSecretAad(tenantId, trunkId)),
      keyVersion: this.keyring.current,
    };
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
      target: { type: 'trunk', id },
      meta,
      action,
      result: 'success',
      details,
    });
  }
}

function inUse(refs: { dids: number; routes: number }) {
  return unprocessable({
    id: [
      `The trunk is still used by ${refs.dids} DID(s) and ${refs.routes} outbound route(s); remove them first.`,
    ],
  });
}

function rethrowTaken(err: unknown): never {
  if (uniqueViolation(err) === 'uq_trunks_tenant_name') throw unprocessable({ name: [NAME_TAKEN] });
  throw err;
}
