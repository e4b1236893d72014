import { Injectable, NotFoundException } from '@nestjs/common';
import { selectRoutes } from '@pbx/common';
import {
  foreignKeyViolation,
  ListQuery,
  OutboundRouteEntity,
  OutboundRouteFields,
  OutboundRoutesRepository,
  Page,
  TenantsRepository,
  TrunkEntity,
  TrunksRepository,
  uniqueViolation,
} from '@pbx/database';
import { normalizeDestination } from '@pbx/policy';
import { AuditService } from '../audit/audit.service';
import type { Principal, RequestMeta } from '../auth/principal';
import { InvalidationService } from '../redis/invalidation.service';
import { unprocessable } from '../http/validation';
import type { CreateOutboundRouteDto, UpdateOutboundRouteDto } from './dto/outbound-route.dto';
import type { RouteResolutionResource } from './outbound-route.presenter';

const NAME_TAKEN = 'The name has already been taken.';

/** Outbound routes of the caller's tenant: which trunks carry a call to which E.164 prefix. */
@Injectable()
export class OutboundRoutesService {
  constructor(
    private readonly routes: OutboundRoutesRepository,
    private readonly trunks: TrunksRepository,
    private readonly tenants: TenantsRepository,
    private readonly audit: AuditService,
    private readonly invalidation: InvalidationService,
  ) {}

  list(p: Principal, q: ListQuery): Promise<Page<OutboundRouteEntity>> {
    return this.routes.list(p.tenantId, q);
  }

  async get(p: Principal, id: string): Promise<OutboundRouteEntity> {
    const route = await this.routes.findInTenant(p.tenantId, id);
    if (!route) throw new NotFoundException();
    return route;
  }

  async create(p: Principal, dto: CreateOutboundRouteDto, meta: RequestMeta): Promise<OutboundRouteEntity> {
    return this.audit.change(async () => {
      await this.assertTrunkInTenant(p, dto.trunk_id);
      if (await this.routes.existsName(p.tenantId, dto.name)) throw unprocessable({ name: [NAME_TAKEN] });
      const route = await this.routes
        .create({
          tenantId: p.tenantId,
          name: dto.name,
          prefix: dto.prefix ?? '',
          priority: dto.priority ?? 100,
          trunkId: dto.trunk_id,
        })
        .catch(rethrowTaken);
      await this.record(
        p,
        route.id,
        'outbound_route.created',
        { prefix: route.prefix, trunk_id: route.trunkId },
        meta,
      );
      await this.invalidation.publish('route', p.tenantId, route.id);
      return route;
    });
  }

  async update(
    p: Principal,
    id: string,
    dto: UpdateOutboundRouteDto,
    meta: RequestMeta,
  ): Promise<OutboundRouteEntity> {
    return this.audit.change(async () => {
      const route = await this.get(p, id);
      const patch: Partial<OutboundRouteFields> = {};
      if (dto.name !== undefined && dto.name !== route.name) patch.name = dto.name;
      if (dto.prefix !== undefined && dto.prefix !== route.prefix) patch.prefix = dto.prefix;
      if (dto.priority !== undefined && dto.priority !== route.priority) patch.priority = dto.priority;
      if (dto.trunk_id !== undefined && dto.trunk_id !== route.trunkId) patch.trunkId = dto.trunk_id;
      if (Object.keys(patch).length === 0) return route;
      if (patch.trunkId) await this.assertTrunkInTenant(p, patch.trunkId);
      if (patch.name && (await this.routes.existsName(p.tenantId, patch.name, route.id)))
        throw unprocessable({ name: [NAME_TAKEN] });
      const fields = Object.keys(patch)
        .map((f) => (f === 'trunkId' ? 'trunk_id' : f))
        .sort();
      const updated = await this.routes.update(route, patch).catch(rethrowTaken);
      await this.record(p, route.id, 'outbound_route.updated', { fields }, meta);
      await this.invalidation.publish('route', p.tenantId, route.id);
      return updated;
    });
  }

  async delete(p: Principal, id: string, meta: RequestMeta): Promise<void> {
    return this.audit.change(async () => {
      const route = await this.get(p, id);
      await this.routes.delete(p.tenantId, route.id);
      await this.record(p, route.id, 'outbound_route.deleted', { name: route.name }, meta);
      await this.invalidation.publish('route', p.tenantId, route.id);
    });
  }

  /** What the SIP app would try for this dialled string: normalised as a device's call is, then routed. */
  async resolve(p: Principal, input: string): Promise<RouteResolutionResource> {
    const tenant = await this.tenants.findById(p.tenantId);
    if (!tenant) throw new NotFoundException();
    const n = normalizeDestination(input, tenant.defaultCountry);
    if (n.kind === 'invalid') throw unprocessable({ number: [`The number is not dialable: ${n.reason}.`] });
    if (n.kind !== 'e164') return { input, kind: n.kind, e164: null, country: null, candidates: [] };
    const chosen = selectRoutes(await this.routes.allOfTenant(p.tenantId), n.e164);
    const trunks = new Map<string, TrunkEntity | null>();
    for (const r of chosen)
      if (!trunks.has(r.trunkId))
        trunks.set(r.trunkId, await this.trunks.findInTenant(p.tenantId, r.trunkId));
    return {
      input,
      kind: 'e164',
      e164: n.e164,
      country: n.country ?? null,
      candidates: chosen.map((r) => ({
        route_id: r.id,
        route_name: r.name,
        prefix: r.prefix,
        priority: r.priority,
        trunk_id: r.trunkId,
        trunk_name: trunks.get(r.trunkId)?.name ?? '',
        trunk_status: trunks.get(r.trunkId)?.status ?? 'disabled',
      })),
    };
  }

  /** A trunk of another tenant is reported exactly like one that does not exist. */
  private async assertTrunkInTenant(p: Principal, trunkId: string): Promise<void> {
    if (!(await this.trunks.findInTenant(p.tenantId, trunkId)))
      throw unprocessable({ trunk_id: ['The selected trunk_id is invalid.'] });
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
      target: { type: 'outbound_route', id },
      meta,
      action,
      result: 'success',
      details,
    });
  }
}

function rethrowTaken(err: unknown): never {
  if (uniqueViolation(err) === 'uq_outbound_routes_tenant_name') throw unprocessable({ name: [NAME_TAKEN] });
  // The trunk was deleted between our check and the write.
  if (foreignKeyViolation(err) === 'fk_outbound_routes_trunk')
    throw unprocessable({ trunk_id: ['The selected trunk_id is invalid.'] });
  throw err;
}
