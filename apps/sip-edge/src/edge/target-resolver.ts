import { ServerLocator, type LocateTarget, type ServerLocatorOptions } from '../dns/server-locator';
import { parseUri } from '../sip/message';
import type { SipPeer } from '../transaction/transaction-types';
import type { TransportProto } from '../transport/transport';

const PROTOS = new Set<TransportProto>(['udp', 'tcp', 'tls', 'ws', 'wss']);
const DEFAULT_PORT: Record<TransportProto, number> = { udp: 5060, tcp: 5060, tls: 5061, ws: 80, wss: 443 };

export interface UriTarget {
  proto: TransportProto;
  host: string;
  port: number;
}

let locator: ServerLocator | undefined;

/**
 * Replaces the locator every resolution below uses, e.g. with the edge's DNS servers and the transports
 * it listens on (NAPTR/SRV then only pick those). Without a call, a default one is made on first use.
 */
export function configureTargetResolver(opts: ServerLocatorOptions): void {
  locator = new ServerLocator(opts);
}

/** What a SIP URI says about where it goes: maddr or host, and the port and transport if explicit. */
export function locateTarget(uri: string): LocateTarget | undefined {
  const u = parseUri(uri);
  if (!u || (u.scheme !== 'sip' && u.scheme !== 'sips') || !u.host) return undefined;
  const param = (u.params.transport ?? '').toLowerCase() as TransportProto;
  const maddr = u.params.maddr;
  return {
    secure: u.scheme === 'sips',
    host: maddr || u.host,
    port: u.port,
    transport: PROTOS.has(param) ? param : undefined,
  };
}

/** Transport, host and port a SIP URI names without DNS (explicit params or defaults); for self-checks. */
export function uriTarget(uri: string): UriTarget | undefined {
  const t = locateTarget(uri);
  if (!t) return undefined;
  let proto: TransportProto = t.transport ?? 'udp';
  if (t.secure && (proto === 'udp' || proto === 'tcp')) proto = 'tls';
  if (t.secure && proto === 'ws') proto = 'wss';
  return { proto, host: t.host, port: t.port ?? DEFAULT_PORT[proto] };
}

/** Every peer a URI resolves to (RFC 3263: NAPTR, SRV, A/AAAA), in the order to try them. */
export async function resolveTargets(uri: string): Promise<SipPeer[]> {
  const t = locateTarget(uri);
  if (!t) return [];
  locator ??= new ServerLocator();
  return locator.locate(t);
}

/** The first peer a URI resolves to (see `resolveTargets` for the failover list). */
export async function resolveTarget(uri: string): Promise<SipPeer | undefined> {
  return (await resolveTargets(uri))[0];
}

interface DialogRouting {
  peer?: SipPeer;
  routeSet: string[];
  remoteTarget: string;
}

/** Where a dialog's next request goes: its connection if it has one, else the first Route or the target. */
export async function dialogPeers(dialog: DialogRouting): Promise<SipPeer[]> {
  if (dialog.peer) return [dialog.peer];
  const first = dialog.routeSet[0];
  const uri = first ? first.replace(/^.*?<([^>]*)>.*$/, '$1') : dialog.remoteTarget;
  return resolveTargets(uri);
}

/** The first of `dialogPeers`. */
export async function dialogPeer(dialog: DialogRouting): Promise<SipPeer | undefined> {
  return (await dialogPeers(dialog))[0];
}
