import type { Logger } from '@pbx/common';
import type { Connection, ConnectionRegistry } from './connection-registry';
import type { MessageIntake } from './message-intake';
import type { TlsSettings, TransportStats } from './transport';

export interface ResolvedTransportOptions {
  maxDatagramBytes: number;
  maxHeaders: number;
  maxHeaderLineBytes: number;
  maxStreamMessageBytes: number;
  maxPendingWriteBytes: number;
  idleTimeoutMs: number;
  incompleteMessageTimeoutMs: number;
  maxConnections: number;
  maxConnectionsPerIp: number;
  connectTimeoutMs: number;
  tls?: TlsSettings;
}

/** What the listeners share: counters, the connection registry and the path every received message takes. */
export interface TransportContext {
  readonly logger: Logger;
  readonly stats: TransportStats;
  readonly registry: ConnectionRegistry;
  readonly intake: MessageIntake;
  readonly opts: ResolvedTransportOptions;
  isBanned(ip: string): boolean;
  /** Counts one request from `ip` against the flood guard; true when it must be dropped. */
  floodHit(ip: string): boolean;
  /** Whether one more connection may be opened (max connections; per IP too, when `remoteIp` is given). */
  hasRoomForConnection(remoteIp?: string): boolean;
  connectionOpened(conn: Connection): void;
  connectionClosed(conn: Connection): void;
  /** A listener-level failure (not a single bad peer): logged and emitted as the manager's `error`. */
  listenerError(err: Error, listen: string): void;
}

/** Dual-stack sockets report IPv4 peers as `::ffff:a.b.c.d`; everything else in the edge uses `a.b.c.d`. */
export function normalizeAddress(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && address.indexOf('.') > 0 ? address.slice(7) : address;
}
