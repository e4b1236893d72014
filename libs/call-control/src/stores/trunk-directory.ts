import type {
  DidsRepository,
  ExtensionsRepository,
  OutboundRoutesRepository,
  TrunkEntity,
  TrunksRepository,
} from '@pbx/database';
import {
  callerIdOf,
  trunksFromSource,
  type DidInfo,
  type OutboundRouteInfo,
  type TrunkDirectory,
  type TrunkInfo,
} from '../route/trunks';
import { TtlCache } from './ttl-cache';

const info = (t: TrunkEntity): TrunkInfo => ({
  id: t.id,
  tenantId: t.tenantId,
  name: t.name,
  host: t.host,
  port: t.port,
  transport: t.transport,
  authUsername: t.authUsername,
  inboundCidrs: t.inboundCidrs ?? [],
  maxChannels: t.maxChannels,
  status: t.status,
  allowUnanchoredMedia: t.allowUnanchoredMedia,
});

/**
 * Trunks, outbound routes and DIDs from Postgres through a short cache (the same TTL as accounts):
 * a call needs them on every INVITE, an admin changes them rarely. Unknown DIDs are cached too, so
 * a carrier probing numbers costs one query per number per TTL.
 */
export class CachedTrunkDirectory implements TrunkDirectory {
  private readonly routes: TtlCache<OutboundRouteInfo[]>;
  private readonly tenantTrunks: TtlCache<TrunkInfo[]>;
  private readonly inbound: TtlCache<TrunkInfo[]>;
  private readonly dids: TtlCache<DidInfo | null>;
  private readonly callerIds: TtlCache<string>;

  constructor(
    private readonly repos: {
      trunks: TrunksRepository;
      dids: DidsRepository;
      routes: OutboundRoutesRepository;
      extensions: ExtensionsRepository;
    },
    opts: { ttlMs: number; maxEntries: number },
  ) {
    this.routes = new TtlCache(opts.ttlMs, opts.maxEntries);
    this.tenantTrunks = new TtlCache(opts.ttlMs, opts.maxEntries);
    this.inbound = new TtlCache(opts.ttlMs, 1);
    this.dids = new TtlCache(opts.ttlMs, opts.maxEntries);
    this.callerIds = new TtlCache(opts.ttlMs, opts.maxEntries);
  }

  outboundRoutes(tenantId: string): Promise<OutboundRouteInfo[]> {
    return this.routes.get(tenantId, async () =>
      (await this.repos.routes.allOfTenant(tenantId)).map((r) => ({
        id: r.id,
        prefix: r.prefix,
        priority: r.priority,
        trunkId: r.trunkId,
      })),
    );
  }

  trunks(tenantId: string): Promise<TrunkInfo[]> {
    return this.tenantTrunks.get(tenantId, async () =>
      (await this.repos.trunks.allOfTenant(tenantId)).map(info),
    );
  }

  async trunksBySource(ip: string): Promise<TrunkInfo[]> {
    const all = await this.inbound.get('all', async () => (await this.repos.trunks.allInbound()).map(info));
    return trunksFromSource(all, ip);
  }

  did(e164: string): Promise<DidInfo | null> {
    return this.dids.get(e164, async () => {
      const d = await this.repos.dids.findByNumber(e164);
      if (!d) return null;
      const ext = d.extensionId ? await this.repos.extensions.findInTenant(d.tenantId, d.extensionId) : null;
      return {
        tenantId: d.tenantId,
        trunkId: d.trunkId,
        extensionId: d.extensionId,
        extensionNumber: ext?.number ?? null,
      };
    });
  }

  callerId(tenantId: string, extensionId: string, fallback: string): Promise<string> {
    return this.callerIds.get(`${tenantId}:${extensionId}`, async () => {
      const [dids, ext] = await Promise.all([
        this.repos.dids.numbersOfExtension(tenantId, extensionId),
        this.repos.extensions.findInTenant(tenantId, extensionId),
      ]);
      return callerIdOf(dids, ext?.number, fallback);
    });
  }

  /** Drops what an invalidation names (a tenant's data, or everything when tenantId is null). */
  drop(tenantId: string | null): void {
    this.inbound.drop();
    this.dids.drop();
    if (tenantId === null) {
      this.routes.drop();
      this.tenantTrunks.drop();
      this.callerIds.drop();
      return;
    }
    this.routes.drop(tenantId);
    this.tenantTrunks.drop(tenantId);
    this.callerIds.drop(`${tenantId}:`);
  }
}
