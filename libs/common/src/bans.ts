import type Redis from 'ioredis';
import { isIP } from 'node:net';
import { RedisChannels, RedisKeys } from './redis-keys';

/** What the SIP edge's drop list consumes on RedisChannels.bans. */
export interface BanUpdate {
  op: 'add' | 'remove';
  ip: string;
}

/**
 * The one spelling of an address that the drop list compares against: IPv4 as is, IPv4-mapped IPv6
 * as plain IPv4, other IPv6 in RFC 5952 form (lower case, longest zero run compressed), which is how
 * Node reports a socket's remote address. Returns null for anything that is not a single address.
 */
export function normalizeIp(raw: string): string | null {
  const ip = raw.trim();
  const version = isIP(ip);
  if (version === 4) return ip;
  if (version !== 6 || ip.includes('%')) return null;
  const canonical = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (mapped) {
    const hi = parseInt(mapped[1], 16);
    const lo = parseInt(mapped[2], 16);
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  }
  return canonical;
}

/** The loopback addresses the stack's own parts use: never bannable, whatever the settings. */
const OWN_LOOPBACK = new Set(['127.0.0.1', '::1']);

export interface UnbannableOptions {
  /**
   * Let loopback addresses other than 127.0.0.1 and ::1 be banned (BANS_ALLOW_LOOPBACK, for tests
   * only): end-to-end suites play attackers from 127.0.0.66 and the like.
   */
  allowLoopback?: boolean;
}

/**
 * Why an address may not be banned, or null if it may. The unspecified address matches no real
 * peer and usually means a parsing bug upstream. Loopback is refused because the platform's own
 * parts (health checks, local SIP components, operators on the host) talk over it: banning it would
 * cut the PBX off from itself, and no attacker reaches us from there. Takes a normalized address.
 */
export function unbannableReason(ip: string, opts: UnbannableOptions = {}): string | null {
  if (ip === '0.0.0.0' || ip === '::') return 'The unspecified address cannot be banned.';
  const loopback = ip === '::1' || /^127\./.test(ip);
  if (loopback && (!opts.allowLoopback || OWN_LOOPBACK.has(ip))) return 'A loopback address cannot be banned.';
  return null;
}

/** What an edge publishes on RedisChannels.floods when a source starts flooding it. */
export interface FloodReport {
  ip: string;
  /** When the source went over the rate (ms since the epoch). */
  at: number;
  /** Requests counted from it over the last sampling unit. */
  count: number;
}

export async function publishFloodReport(redis: Redis, report: FloodReport): Promise<void> {
  await redis.publish(RedisChannels.floods, JSON.stringify({ ip: report.ip, at: report.at, count: report.count }));
}

export function parseFloodReport(raw: string): FloodReport | null {
  try {
    const v = JSON.parse(raw) as Partial<FloodReport> | null;
    if (!v || typeof v.ip !== 'string' || isIP(v.ip) === 0) return null;
    if (!Number.isFinite(v.at) || !Number.isInteger(v.count) || (v.count as number) < 0) return null;
    return { ip: v.ip, at: v.at as number, count: v.count as number };
  } catch {
    return null;
  }
}

function message(update: BanUpdate): string {
  return JSON.stringify(update);
}

/**
 * Adds an address to every SIP edge's drop list: into the SET the edges load at start, and on the
 * channel that keeps running edges current. MULTI keeps the two together. Takes a normalized
 * address; returns whether the SET changed. The message goes out either way, so an edge that
 * missed an earlier one catches up.
 */
export async function banIp(redis: Redis, ip: string): Promise<boolean> {
  const res = await redis
    .multi()
    .sadd(RedisKeys.bannedIps, ip)
    .publish(RedisChannels.bans, message({ op: 'add', ip }))
    .exec();
  return Number(res?.[0]?.[1] ?? 0) === 1;
}

/** Takes an address off every edge's drop list; returns whether the SET changed. */
export async function unbanIp(redis: Redis, ip: string): Promise<boolean> {
  const res = await redis
    .multi()
    .srem(RedisKeys.bannedIps, ip)
    .publish(RedisChannels.bans, message({ op: 'remove', ip }))
    .exec();
  return Number(res?.[0]?.[1] ?? 0) === 1;
}

export function parseBanUpdate(raw: string): BanUpdate | null {
  try {
    const v = JSON.parse(raw) as Partial<BanUpdate> | null;
    if (!v || (v.op !== 'add' && v.op !== 'remove') || typeof v.ip !== 'string' || isIP(v.ip) === 0)
      return null;
    return { op: v.op, ip: v.ip };
  } catch {
    return null;
  }
}
