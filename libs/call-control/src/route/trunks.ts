import { selectRoutes } from '@pbx/common';
import { cidrContains, parseCidr, parseIp } from '@pbx/policy';
import type { TrunkAttempt } from '../call/place-call.use-case';

/** A carrier as routing needs it; the secret stays in Postgres until a challenge asks for it. */
export interface TrunkInfo {
  id: string;
  tenantId: string;
  name: string;
  host: string;
  port: number;
  transport: 'udp' | 'tcp' | 'tls';
  authUsername: string | null;
  inboundCidrs: readonly string[];
  maxChannels: number | null;
  status: 'active' | 'disabled';
  /** Calls through it may go on with media end to end when rtpengine is unreachable. */
  allowUnanchoredMedia?: boolean;
}

export interface OutboundRouteInfo {
  id: string;
  prefix: string;
  priority: number;
  trunkId: string;
}

export interface DidInfo {
  tenantId: string;
  trunkId: string;
  extensionId: string | null;
  extensionNumber: string | null;
}

/** Where the trunks, routes and DIDs of tenants are read (Postgres through a cache in production). */
export interface TrunkDirectory {
  outboundRoutes(tenantId: string): Promise<OutboundRouteInfo[]>;
  trunks(tenantId: string): Promise<TrunkInfo[]>;
  /** Active trunks of every tenant whose inbound CIDRs hold this address. */
  trunksBySource(ip: string): Promise<TrunkInfo[]>;
  /** A DID by its E.164 number (unique across tenants). */
  did(e164: string): Promise<DidInfo | null>;
  /** The number an extension presents on trunks: its first DID, else its extension number (callerIdOf). */
  callerId(tenantId: string, extensionId: string, fallback: string): Promise<string>;
}

const hostOf = (host: string): string => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);

/** The Request-URI and next hop of a call to `e164` through a trunk. */
export function trunkAddress(
  trunk: Pick<TrunkInfo, 'host' | 'port' | 'transport'>,
  e164: string,
): { uri: string; proxy: string } {
  const hostPort = `${hostOf(trunk.host)}:${trunk.port}`;
  const scheme = trunk.transport === 'tls' ? 'sips' : 'sip';
  return { uri: `${scheme}:${e164}@${hostPort}`, proxy: `sip:${hostPort};transport=${trunk.transport}` };
}

/**
 * The trunks to try for `e164`, in order: routes by longest prefix then priority (selectRoutes), a
 * disabled or missing trunk skipped, each trunk once (two routes to one carrier do not retry it).
 */
export function trunkAttempts(
  routes: readonly OutboundRouteInfo[],
  trunks: readonly TrunkInfo[],
  e164: string,
): TrunkAttempt[] {
  const byId = new Map(trunks.map((t) => [t.id, t]));
  const seen = new Set<string>();
  const attempts: TrunkAttempt[] = [];
  for (const route of selectRoutes(routes, e164)) {
    const trunk = byId.get(route.trunkId);
    if (!trunk || trunk.status !== 'active' || seen.has(trunk.id)) continue;
    seen.add(trunk.id);
    attempts.push({
      trunkId: trunk.id,
      routeId: route.id,
      name: trunk.name,
      ...trunkAddress(trunk, e164),
      authUsername: trunk.authUsername,
      maxChannels: trunk.maxChannels,
      allowUnanchoredMedia: trunk.allowUnanchoredMedia ?? false,
    });
  }
  return attempts;
}

/**
 * Whether a trunk's final answer sends the call to the next trunk: it timed out (408), failed (5xx),
 * or refused our credentials (401/407 after the challenge was answered). Any other answer is about
 * the callee (busy, not found, declined) and goes back to the caller as it is.
 */
export function failsOver(status: number): boolean {
  return status === 408 || status === 401 || status === 407 || (status >= 500 && status < 600);
}

/** The caller ID presented on a trunk: the extension's first DID, else the extension number. */
export function callerIdOf(
  dids: readonly string[],
  extensionNumber: string | undefined,
  username: string,
): string {
  return dids[0] ?? extensionNumber ?? username;
}

/** The tenant's trunks whose inbound CIDRs hold `ip` (disabled trunks never match). */
export function trunksFromSource(trunks: readonly TrunkInfo[], ip: string): TrunkInfo[] {
  const address = parseIp(ip.replace(/^\[|\]$/g, ''));
  if (!address) return [];
  return trunks.filter(
    (t) =>
      t.status === 'active' &&
      t.inboundCidrs.map((c) => parseCidr(c)).some((c) => c !== undefined && cidrContains(c, address)),
  );
}

/**
 * The DID an inbound INVITE is for, as E.164 candidates to look up: the Request-URI user first, then
 * the To user (RFC 3261 leaves the Request-URI authoritative; some carriers put the DID only in To).
 * Carriers send "+4420…", "4420…" or "004420…"; each is tried as written and as +digits.
 */
export function didCandidates(requestUser: string | undefined, toUser: string | undefined): string[] {
  const out: string[] = [];
  for (const raw of [requestUser, toUser]) {
    if (!raw) continue;
    const user = raw.split(';')[0].replace(/[\s\-.()/]/g, '');
    const m = /^(?:\+|00)?([1-9][0-9]{5,14})$/.exec(user);
    if (m && !out.includes(`+${m[1]}`)) out.push(`+${m[1]}`);
  }
  return out;
}
