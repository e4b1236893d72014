import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
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

/** Transport, host and port a SIP URI points at (RFC 3263 without NAPTR/SRV: explicit params or defaults). */
export function uriTarget(uri: string): UriTarget | undefined {
  const u = parseUri(uri);
  if (!u || (u.scheme !== 'sip' && u.scheme !== 'sips') || !u.host) return undefined;
  const param = (u.params.transport ?? '').toLowerCase() as TransportProto;
  let proto: TransportProto = PROTOS.has(param) ? param : 'udp';
  if (u.scheme === 'sips' && proto === 'udp') proto = 'tls';
  if (u.scheme === 'sips' && proto === 'tcp') proto = 'tls';
  return { proto, host: u.host, port: u.port ?? DEFAULT_PORT[proto] };
}

/** Resolves a URI to a peer; only A/AAAA lookups for host names. */
export async function resolveTarget(uri: string): Promise<SipPeer | undefined> {
  const t = uriTarget(uri);
  if (!t) return undefined;
  if (isIP(t.host)) return { proto: t.proto, address: t.host, port: t.port };
  try {
    const { address } = await lookup(t.host);
    return { proto: t.proto, address, port: t.port };
  } catch {
    return undefined;
  }
}

/** Where a dialog's next request goes: its connection if it has one, else the first Route or the target. */
export async function dialogPeer(dialog: {
  peer?: SipPeer;
  routeSet: string[];
  remoteTarget: string;
}): Promise<SipPeer | undefined> {
  if (dialog.peer) return dialog.peer;
  const first = dialog.routeSet[0];
  const uri = first ? first.replace(/^.*?<([^>]*)>.*$/, '$1') : dialog.remoteTarget;
  return resolveTarget(uri);
}
