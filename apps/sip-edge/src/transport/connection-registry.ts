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
  }

  remove(conn: Connection): boolean {
    if (!this.byId.delete(conn.id)) return false;
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

  /** Connections idle for longer than `idleMs` at time `now`. */
  idle(now: number, idleMs: number): Connection[] {
    const out: Connection[] = [];
    for (const c of this.byId.values()) if (now - c.lastActivity > idleMs) out.push(c);
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
