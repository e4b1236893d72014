import type { NaptrRecord, SrvRecord } from 'node:dns';
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { SendTarget, TransportProto } from '../transport/transport';
import { HostsFile } from './hosts-file';
import { orderNaptr, orderSrv, type RandomSource } from './srv-order';
import { TtlCache } from './ttl-cache';

/**
 * How far one lookup fans out, whatever the zone says: NAPTR and SRV names can point into anyone's zone and
 * the names looked up come from peers, so a lookup is at most 3 NAPTR → 8 SRV targets → A (+AAAA).
 */
const MAX_NAPTR_FOLLOWED = 3;
const MAX_SRV_FOLLOWED = 8;

/** What RFC 3263 §4 needs from a URI: the target (maddr or host), and the port/transport if explicit. */
export interface LocateTarget {
  secure: boolean;
  host: string;
  port?: number;
  transport?: TransportProto;
}

/** One place to send a request: `SendTarget` without a connection. */
export type LocatedPeer = Pick<SendTarget, 'proto' | 'address' | 'port'>;

export interface ServerLocatorOptions {
  /** DNS servers (`ip` or `ip:port`); the system's resolv.conf servers when absent. */
  servers?: readonly string[];
  /** Transports NAPTR/SRV may choose (those the edge listens on); default udp, tcp, tls. */
  transports?: readonly TransportProto[];
  /** Address families, in order of preference; default IPv4 first, then IPv6. */
  families?: readonly (4 | 6)[];
  /** Deadline of one DNS query; a whole location runs at most three queries deep. */
  timeoutMs?: number;
  /** Bound of each record cache (addresses, SRV, NAPTR, non-existent names). */
  cacheEntries?: number;
  /** Cap of any positive TTL, in seconds. */
  maxTtlS?: number;
  /** How long SRV and NAPTR answers are kept: Node's resolver does not report their TTL. */
  srvTtlS?: number;
  /** How long NXDOMAIN and empty answers are kept (Node does not expose the SOA minimum either). */
  negativeTtlS?: number;
  /** Longest candidate list returned (and so the most A/AAAA queries one location makes). */
  maxTargets?: number;
  /** /etc/hosts reader; `false` ignores the file (tests). */
  hosts?: HostsFile | false;
  now?: () => number;
  random?: RandomSource;
}

const DEFAULT_PORT: Record<TransportProto, number> = { udp: 5060, tcp: 5060, tls: 5061, ws: 80, wss: 443 };

/** RFC 3263 §4.1 services and SRV prefixes, in the order we prefer them when DNS expresses none. */
const SERVICES: ReadonlyArray<{ proto: TransportProto; naptr: string; srv: string }> = [
  { proto: 'udp', naptr: 'SIP+D2U', srv: '_sip._udp.' },
  { proto: 'tcp', naptr: 'SIP+D2T', srv: '_sip._tcp.' },
  { proto: 'tls', naptr: 'SIPS+D2T', srv: '_sips._tcp.' },
];

/** Answers meaning "no such record" (cached); anything else (timeout, SERVFAIL, refused) is transient. */
const NEGATIVE = new Set(['ENOTFOUND', 'ENODATA', 'ENONAME']);

const HOSTNAME = /^(?=.{1,253}\.?$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.?$/i;

/**
 * RFC 3263 server location with c-ares (`dns.Resolver`): NAPTR → SRV → A/AAAA, each step cached for
 * its TTL in bounded caches, with negative caching, coalesced concurrent queries and a per-query
 * deadline. `locate` returns every candidate in the order to try them, so callers can fail over.
 */
export class ServerLocator {
  private readonly resolver: Resolver;
  private readonly transports: ReadonlySet<TransportProto>;
  private readonly families: readonly (4 | 6)[];
  private readonly timeoutMs: number;
  private readonly maxTtlMs: number;
  private readonly srvTtlMs: number;
  private readonly negativeTtlMs: number;
  private readonly maxTargets: number;
  private readonly hosts?: HostsFile;
  private readonly random: RandomSource;
  private readonly addresses: CachedQuery<string>;
  private readonly srvs: CachedQuery<SrvRecord>;
  private readonly naptrs: CachedQuery<NaptrRecord>;
  /** Names that answered NXDOMAIN: no record of any type exists under them (RFC 8020). */
  private readonly missing: TtlCache<true>;

  constructor(opts: ServerLocatorOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 2000;
    // c-ares retries once within the deadline; the deadline below is what bounds a query.
    this.resolver = new Resolver({ timeout: Math.max(50, Math.floor(this.timeoutMs / 3)), tries: 2 });
    if (opts.servers?.length) this.resolver.setServers([...opts.servers]);
    this.transports = new Set(opts.transports ?? ['udp', 'tcp', 'tls']);
    this.families = opts.families ?? [4, 6];
    this.maxTtlMs = (opts.maxTtlS ?? 3600) * 1000;
    this.srvTtlMs = Math.min((opts.srvTtlS ?? 300) * 1000, this.maxTtlMs);
    this.negativeTtlMs = (opts.negativeTtlS ?? 30) * 1000;
    this.maxTargets = opts.maxTargets ?? 16;
    this.hosts = opts.hosts === false ? undefined : (opts.hosts ?? new HostsFile({ now: opts.now }));
    this.random = opts.random ?? Math.random;
    const entries = opts.cacheEntries ?? 1000;
    const now = opts.now ?? Date.now;
    this.addresses = new CachedQuery(entries, now);
    this.srvs = new CachedQuery(entries, now);
    this.naptrs = new CachedQuery(entries, now);
    this.missing = new TtlCache(entries, now);
  }

  /** Candidates for a target, best first; empty when nothing resolves. Never rejects. */
  async locate(target: LocateTarget): Promise<LocatedPeer[]> {
    const host = target.host.toLowerCase();
    const explicit = target.transport ? secured(target.transport, target.secure) : undefined;
    const numeric = isIP(host) !== 0;
    const pinned = numeric ? [host] : await this.pinned(host);
    if (pinned.length > 0 || numeric) {
      const proto = explicit ?? (target.secure ? 'tls' : 'udp');
      return this.cap(pinned.map((address) => ({ proto, address, port: target.port ?? DEFAULT_PORT[proto] })));
    }
    // RFC 6761 §6.4: `.invalid` never resolves (sip.js puts it in WebSocket contacts, reached by connection).
    if (!HOSTNAME.test(host) || /(^|\.)invalid\.?$/.test(host)) return [];
    // §4.2: an explicit port means A/AAAA only.
    if (target.port !== undefined) {
      const proto = explicit ?? (target.secure ? 'tls' : 'udp');
      return this.expand(proto, [{ name: host, port: target.port }]);
    }
    // §4.1: an explicit transport skips NAPTR; WebSocket has no SRV (sofia-sip has none either).
    if (explicit) {
      const service = SERVICES.find((s) => s.proto === explicit);
      if (service) {
        const viaSrv = await this.fromSrv(explicit, service.srv + host);
        if (viaSrv.length > 0) return viaSrv;
      }
      return this.expand(explicit, [{ name: host, port: DEFAULT_PORT[explicit] }]);
    }
    const viaNaptr = await this.fromNaptr(host, target.secure);
    if (viaNaptr.length > 0) return viaNaptr;
    const viaSrv = await this.fromSrvFallback(host, target.secure);
    if (viaSrv.length > 0) return viaSrv;
    const proto = target.secure ? 'tls' : this.transports.has('udp') || !this.transports.has('tcp') ? 'udp' : 'tcp';
    return this.expand(proto, [{ name: host, port: DEFAULT_PORT[proto] }]);
  }

  /** Addresses that need no DNS: /etc/hosts entries, and loopback for `localhost` (RFC 6761 §6.3). */
  private async pinned(host: string): Promise<string[]> {
    const listed = (await this.hosts?.lookup(host)) ?? [];
    const byFamily = this.families.flatMap((f) => listed.filter((a) => isIP(a) === f));
    if (byFamily.length > 0) return byFamily;
    if (host === 'localhost' || host.endsWith('.localhost')) return this.families.map((f) => (f === 4 ? '127.0.0.1' : '::1'));
    return [];
  }

  private async fromNaptr(host: string, secure: boolean): Promise<LocatedPeer[]> {
    const records = orderNaptr(await this.naptrs.get(host, () => this.query('NAPTR', host)));
    const usable = records.flatMap((r) => {
      const service = SERVICES.find((s) => s.naptr === r.service.toUpperCase());
      const ok = service && r.flags.toLowerCase() === 's' && this.transports.has(service.proto) && (!secure || service.proto === 'tls');
      return ok && r.replacement ? [{ proto: service.proto, name: r.replacement }] : [];
    });
    const sets = await Promise.all(usable.slice(0, MAX_NAPTR_FOLLOWED).map((u) => this.fromSrv(u.proto, u.name)));
    return this.cap(sets.flat());
  }

  /** §4.1: no usable NAPTR, so SRV for each transport we support, in our order of preference. */
  private async fromSrvFallback(host: string, secure: boolean): Promise<LocatedPeer[]> {
    const services = SERVICES.filter((s) => this.transports.has(s.proto) && (!secure || s.proto === 'tls'));
    const sets = await Promise.all(services.map((s) => this.fromSrv(s.proto, s.srv + host)));
    return this.cap(sets.flat());
  }

  private async fromSrv(proto: TransportProto, srvName: string): Promise<LocatedPeer[]> {
    const name = srvName.toLowerCase();
    const records = orderSrv(await this.srvs.get(name, () => this.query('SRV', name)), this.random);
    return this.expand(
      proto,
      records.slice(0, Math.min(this.maxTargets, MAX_SRV_FOLLOWED)).map((r) => ({ name: r.name, port: r.port })),
    );
  }

  /** A/AAAA for each (name, port), keeping their order. */
  private async expand(proto: TransportProto, targets: ReadonlyArray<{ name: string; port: number }>): Promise<LocatedPeer[]> {
    const lists = await Promise.all(targets.map((t) => this.addressesOf(t.name)));
    return this.cap(targets.flatMap((t, i) => lists[i].map((address) => ({ proto, address, port: t.port }))));
  }

  private async addressesOf(name: string): Promise<string[]> {
    const host = name.toLowerCase();
    if (isIP(host)) return [host];
    const pinned = await this.pinned(host);
    if (pinned.length > 0) return pinned;
    const lists = await Promise.all(this.families.map((f) => this.addresses.get(`${f}:${host}`, () => this.query(f === 4 ? 'A' : 'AAAA', host))));
    return lists.flat();
  }

  private cap(peers: LocatedPeer[]): LocatedPeer[] {
    const seen = new Set<string>();
    return peers
      .filter((p) => {
        const key = `${p.proto}|${p.address}|${p.port}`;
        return !seen.has(key) && seen.add(key);
      })
      .slice(0, this.maxTargets);
  }

  private query(type: 'A' | 'AAAA', name: string): Promise<Answer<string>>;
  private query(type: 'SRV', name: string): Promise<Answer<SrvRecord>>;
  private query(type: 'NAPTR', name: string): Promise<Answer<NaptrRecord>>;
  private async query(type: 'A' | 'AAAA' | 'SRV' | 'NAPTR', name: string): Promise<Answer<unknown>> {
    if (this.missing.get(name)) return { list: [], ttlMs: 0 };
    try {
      switch (type) {
        case 'A':
        case 'AAAA': {
          const records = await this.deadline(type === 'A' ? this.resolver.resolve4(name, { ttl: true }) : this.resolver.resolve6(name, { ttl: true }));
          const ttlS = Math.min(...records.map((r) => r.ttl));
          return { list: records.map((r) => r.address), ttlMs: records.length > 0 ? Math.min(ttlS * 1000, this.maxTtlMs) : this.negativeTtlMs };
        }
        case 'SRV':
          return this.positive(await this.deadline(this.resolver.resolveSrv(name)));
        case 'NAPTR':
          return this.positive(await this.deadline(this.resolver.resolveNaptr(name)));
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (code === 'ENOTFOUND') this.missing.set(name, true, this.negativeTtlMs);
      return { list: [], ttlMs: NEGATIVE.has(code) ? this.negativeTtlMs : 0 };
    }
  }

  private positive<T>(list: T[]): Answer<T> {
    return { list, ttlMs: list.length > 0 ? this.srvTtlMs : this.negativeTtlMs };
  }

  private deadline<T>(pending: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('DNS query timed out'), { code: 'ETIMEOUT' })), this.timeoutMs);
      timer.unref();
    });
    return Promise.race([pending, expired]).finally(() => clearTimeout(timer));
  }
}

interface Answer<T> {
  list: T[];
  /** How long to cache `list`; 0 for transient failures, which are never cached. */
  ttlMs: number;
}

/** A cache of one record type plus the queries in flight, so concurrent lookups of a name share one. */
class CachedQuery<T> {
  private readonly cache: TtlCache<T[]>;
  private readonly inflight = new Map<string, Promise<T[]>>();

  constructor(entries: number, now: () => number) {
    this.cache = new TtlCache(entries, now);
  }

  get(key: string, run: () => Promise<Answer<T>>): Promise<T[]> {
    const hit = this.cache.get(key);
    if (hit) return Promise.resolve(hit);
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = run()
        .then((answer) => {
          this.cache.set(key, answer.list, answer.ttlMs);
          return answer.list;
        })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }
}

/** `sips:` forces TLS: a sips URI over tcp means TLS, over ws means WSS (RFC 3261 §26.2). */
function secured(proto: TransportProto, secure: boolean): TransportProto {
  if (!secure) return proto;
  return proto === 'ws' || proto === 'wss' ? 'wss' : 'tls';
}
