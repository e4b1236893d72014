import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { banIp, normalizeIp, unbannableReason } from '@pbx/common';
import { afterCommit, BanEntity, BanFilters, BanScope, BansRepository, BanSource, ListQuery, Page } from '@pbx/database';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { AuditedForbiddenException } from '../audit/denied-access.filter';
import { AuditService } from '../audit/audit.service';
import type { Principal, RequestMeta } from '../auth/principal';
import { API_CONFIG, type ApiConfig } from '../config/api-config';
import { FieldErrors, unprocessable } from '../http/validation';
import { APP_LOGGER } from '../logging';
import { InvalidationService } from '../redis/invalidation.service';
import { REDIS } from '../redis/redis.module';
import type { CreateBanDto } from './dto/ban.dto';
import { DropListSync } from './drop-list-sync.service';

export const BAN_FILTERABLE = ['status', 'ip', 'source', 'scope'] as const;
const STATUSES = ['active', 'lifted', 'expired', 'all'] as const;
const SOURCES: readonly BanSource[] = ['manual', 'scanner', 'brute_force', 'fraud'];

export function parseBanFilters(raw: Record<string, string>): BanFilters {
  const errors: FieldErrors = {};
  const out: BanFilters = { status: 'active' };
  if (raw.status !== undefined) {
    const s = STATUSES.find((v) => v === raw.status);
    if (s) out.status = s;
    else
      errors['filter.status'] = [`The selected filter status is invalid. Allowed: ${STATUSES.join(', ')}.`];
  }
  if (raw.ip !== undefined) {
    const ip = normalizeIp(raw.ip);
    if (ip) out.ip = ip;
    else errors['filter.ip'] = ['The filter ip must be a valid IP address.'];
  }
  if (raw.source !== undefined) {
    const s = SOURCES.find((v) => v === raw.source);
    if (s) out.source = s;
    else errors['filter.source'] = [`The selected filter source is invalid. Allowed: ${SOURCES.join(', ')}.`];
  }
  if (raw.scope !== undefined) {
    if (raw.scope === 'tenant' || raw.scope === 'platform') out.scope = raw.scope;
    else errors['filter.scope'] = ['The selected filter scope is invalid. Allowed: tenant, platform.'];
  }
  if (Object.keys(errors).length) throw unprocessable(errors);
  return out;
}

/**
 * Two kinds of ban. A platform ban (tenant_id NULL, platform admins only) goes onto the SIP edge's drop
 * list, so the address is dropped before a byte is parsed, for every tenant. A tenant ban is enforced by
 * the SIP app for that tenant's traffic only and never reaches the edge: the edge cannot tell tenants
 * apart, so an edge drop would let one tenant's admin cut off an address (a shared NAT, a carrier,
 * another tenant's office) for everyone on the platform.
 */
@Injectable()
export class BansService {
  constructor(
    private readonly bans: BansRepository,
    private readonly dropList: DropListSync,
    private readonly audit: AuditService,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_LOGGER) private readonly logger: Logger,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly invalidation: InvalidationService,
  ) {}

  async list(p: Principal, filters: BanFilters, q: ListQuery): Promise<Page<BanEntity>> {
    const page = await this.bans.list(this.scope(p), filters, q);
    await this.sweepShown(page.items);
    return page;
  }

  async get(p: Principal, id: string): Promise<BanEntity> {
    const ban = await this.bans.findVisible(this.scope(p), id);
    if (!ban) throw new NotFoundException();
    await this.sweepShown([ban]);
    return ban;
  }

  async create(p: Principal, dto: CreateBanDto, meta: RequestMeta): Promise<BanEntity> {
    return this.audit.change(async () => {
      const platform = dto.scope === 'platform';
      if (platform && !p.permissions.has('tenants.manage')) {
        await this.audit.record({
          ...this.base(p, null, meta),
          action: 'ban.created',
          result: 'denied',
          details: { reason: 'platform_scope_requires_platform_admin' },
        });
        throw new AuditedForbiddenException();
      }
      const ip = this.validIp(dto.ip);
      const expiresAt = this.expiry(dto);
      const tenantId = platform ? null : p.tenantId;
      if (await this.bans.findActive(tenantId, ip)) throw unprocessable({ ip: ['The ip is already banned.'] });

      const source: BanSource = 'manual';
      const ban = await this.bans.insert({
        tenantId,
        ip,
        reason: dto.reason,
        source,
        createdBy: p.userId,
        expiresAt,
      });
      if (platform) await afterCommit(() => banIp(this.redis, ip).then(() => undefined));
      await this.invalidation.publish('ban', tenantId, ban.id);
      await this.audit.record({
        ...this.base(p, ban.id, meta),
        action: 'ban.created',
        result: 'success',
        details: { ip, scope: platform ? 'platform' : 'tenant', expires_at: expiresAt?.toISOString() ?? null },
      });
      return ban;
    });
  }

  /** Lifting twice is not an error (DELETE is idempotent); the drop list is reconciled either way. */
  async lift(p: Principal, id: string, meta: RequestMeta): Promise<void> {
    return this.audit.change(async () => {
      const ban = await this.bans.findVisible(this.scope(p), id);
      if (!ban) throw new NotFoundException();
      const lifted = await this.bans.lift(ban.id, p.userId);
      // Only if no other platform ban on the address is still active does it leave the drop list.
      if (ban.tenantId === null) await afterCommit(() => this.dropList.reconcile(ban.ip));
      if (!lifted) return;
      await this.invalidation.publish('ban', ban.tenantId, ban.id);
      await this.audit.record({
        ...this.base(p, ban.id, meta),
        action: 'ban.lifted',
        result: 'success',
        details: { ip: ban.ip, scope: ban.tenantId === null ? 'platform' : 'tenant' },
      });
    });
  }

  /** Platform admins also see (and manage) the platform-wide bans; everyone else only their tenant's. */
  private scope(p: Principal): BanScope {
    return { tenantId: p.tenantId, includePlatform: p.permissions.has('tenants.manage') };
  }

  /** "Remove on read": expired platform bans shown to someone are taken off the drop list now, not at the next sweep. */
  private async sweepShown(items: BanEntity[]): Promise<void> {
    const now = Date.now();
    const ended = items
      .filter((b) => b.tenantId === null && (b.liftedAt || (b.expiresAt && b.expiresAt.getTime() <= now)))
      .map((b) => b.ip);
    if (ended.length === 0) return;
    // A read must not fail because Redis did; the periodic sweep will catch up.
    await this.dropList
      .sweep(ended)
      .catch((err: unknown) => this.logger.warn({ err }, 'sweep on read failed'));
  }

  private validIp(raw: string): string {
    const ip = normalizeIp(raw);
    if (!ip) throw unprocessable({ ip: ['The ip field must be a valid IPv4 or IPv6 address.'] });
    const refused = unbannableReason(ip, { allowLoopback: this.config.BANS_ALLOW_LOOPBACK });
    if (refused) throw unprocessable({ ip: [refused] });
    return ip;
  }

  private expiry(dto: CreateBanDto): Date | null {
    if (dto.expires_at !== undefined && dto.expires_in_seconds !== undefined)
      throw unprocessable({
        expires_at: ['The expires_at field prohibits expires_in_seconds from being present.'],
      });
    if (dto.expires_in_seconds !== undefined) return new Date(Date.now() + dto.expires_in_seconds * 1000);
    if (dto.expires_at === undefined) return null;
    const at = new Date(dto.expires_at);
    if (at.getTime() <= Date.now())
      throw unprocessable({ expires_at: ['The expires_at field must be a date after now.'] });
    return at;
  }

  private base(p: Principal, targetId: string | null, meta: RequestMeta) {
    return { tenantId: p.tenantId, actor: p, target: { type: 'ban', id: targetId }, meta };
  }
}
