import type { TransportProto } from './transport';

/** One open connection-oriented transport (tcp, tls, ws, wss), inbound or outbound. */
export interface Connection {
  readonly id: string;
  readonly proto: TransportProto;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly local: { address: string; port: number };
  readonly outbound: boolean;
  lastActivity: number;
  /** Since when part of a message has been waiting for the rest (streams only); undefined when none is. */
  partialSince?: number;
  /** Queues bytes; the connection closes itself if too much is left unsent. */
  write(data: Buffer): void;
  close(reason: string): void;
}

export interface ConnectionInfo {
  id: string;
  proto: TransportProto;
  remoteAddress: string;
  remotePort: number;
  local: { address: string; port: number };
  outbound: boolean;
  lastActivity: number;
}

function remoteKey(proto: TransportProto, address: string, port: number): string {
  return `${proto}|${address}|${port}`;
}

/**
 * Open connections keyed by id and by remote ip:port+transport, so that a response goes back over the
 * connection its request came on and a request to a contact registered over a connection reuses it.
 */
export class ConnectionRegistry {
  private readonly byId = new Map<string, Connection>();
  private readonly byRemote = new Map<string, Connection>();
  private readonly perIp = new Map<string, number>();
  private seq = 0;

  nextId(proto: TransportProto): string {
    this.seq++;
    return `${proto}-${Date.now().toString(36)}-${this.seq.toString(36)}`;
  }

  get size(): number {
    return this.byId.size;
  }

  add(conn: Connection): void {
    this.byId.set(conn.id, conn);
    this.byRemote.set(remoteKey(conn.proto, conn.remoteAddress, conn.remotePort), conn);
    this.perIp.set(conn.remoteAddress, (this.perIp.get(conn.remoteAddress) ?? 0) + 1);
  }

  /** Open connections with that remote IP. */
  countFor(address: string): number {
    return this.perIp.get(address) ?? 0;
  }

  remove(conn: Connection): boolean {
    if (!this.byId.delete(conn.id)) return false;
    const n = (this.perIp.get(conn.remoteAddress) ?? 1) - 1;
    if (n > 0) this.perIp.set(conn.remoteAddress, n);
    else this.perIp.delete(conn.remoteAddress);
    const key = remoteKey(conn.proto, conn.remoteAddress, conn.remotePort);
    if (this.byRemote.get(key) === conn) this.byRemote.delete(key);
    return true;
  }

  get(id: string): Connection | undefined {
    return this.byId.get(id);
  }

  findByRemote(proto: TransportProto, address: string, port: number): Connection | undefined {
    return this.byRemote.get(remoteKey(proto, address, port));
  }

  all(): IterableIterator<Connection> {
    return this.byId.values();
  }

  /**
   * Connections to reap at time `now`: idle for longer than `idleMs`, or holding part of a message for
   * longer than `partialMs` (a peer dripping bytes to hold a slot open). A limit of 0 is off.
   */
  stale(now: number, idleMs: number, partialMs: number): Array<[Connection, string]> {
    const out: Array<[Connection, string]> = [];
    for (const c of this.byId.values()) {
      if (idleMs > 0 && now - c.lastActivity > idleMs) out.push([c, 'idle']);
      else if (partialMs > 0 && c.partialSince !== undefined && now - c.partialSince > partialMs) {
        out.push([c, 'incomplete message timeout']);
      }
    }
    return out;
  }
}

export function describeConnection(c: Connection): ConnectionInfo {
  return {
    id: c.id,
    proto: c.proto,
    remoteAddress: c.remoteAddress,
    remotePort: c.remotePort,
    local: c.local,
    outbound: c.outbound,
    lastActivity: c.lastActivity,
  };
}
