import type { Logger } from '@pbx/common';
import type { SipLimits, SipMessage } from '../sip/message';

export type TransportProto = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

export interface RemoteInfo {
  proto: TransportProto;
  address: string;
  port: number;
  /** Set for connection-oriented transports (tcp, tls, ws, wss). */
  connectionId?: string;
  local: { address: string; port: number };
}

export interface InboundMessage {
  msg: SipMessage;
  /** The message's own bytes as received: leading CRLFs and datagram bytes past Content-Length cut off. */
  raw: Buffer;
  source: RemoteInfo;
  receivedAt: number;
}

export interface SendTarget {
  proto: TransportProto;
  address: string;
  port: number;
  /** When set and that connection is still open, the message goes over it whatever address/port say. */
  connectionId?: string;
}

export interface TlsSettings {
  keyFile: string;
  certFile: string;
  /** Intermediate certificates (PEM), appended to the served chain. */
  chainFile?: string;
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** Verify the peer's certificate on connections we open. Default true. */
  verifyOutbound?: boolean;
}

/** Anything that can say whether an IP is banned; `DropList` is the Redis-backed one. */
export interface DropListLike {
  has(ip: string): boolean;
}

/** A per-source request-rate guard; `FloodGuard` is the edge's. */
export interface FloodGuardLike {
  /** Counts one request (a datagram, a stream message, a new connection) from `ip`; true: drop it, the source is flooding. */
  hit(ip: string): boolean;
}

export interface TransportOptions {
  /** drachtio-style contacts, e.g. `sip:0.0.0.0:5060;transport=udp`, `sips:0.0.0.0:8443;transport=wss`. */
  contacts: string[];
  tls?: TlsSettings;
  /** Parser limits for datagrams (default 64 KiB, 256 headers, 8 KiB lines). */
  limits?: Partial<Omit<SipLimits, 'mode'>>;
  /** Largest message accepted on a stream (tcp/tls/ws/wss); default 64 KiB. */
  maxStreamMessageBytes?: number;
  /** Bytes queued for writing on one connection before it is considered stuck and closed; default 1 MiB. */
  maxPendingWriteBytes?: number;
  /** A connection with no traffic for this long is closed; default 300,000 ms. 0 disables reaping. */
  idleTimeoutMs?: number;
  /** Inbound + outbound connections; new inbound ones beyond this are refused. Default 10,000. */
  maxConnections?: number;
  /** Inbound connections from one IP (many phones can share a NAT); default 1,000. */
  maxConnectionsPerIp?: number;
  /** A stream connection holding part of a message this long without completing it is closed; default 30,000 ms. */
  incompleteMessageTimeoutMs?: number;
  connectTimeoutMs?: number;
  dropList?: DropListLike;
  /** Consulted right after the drop list, before a byte is parsed; inbound traffic only. */
  floodGuard?: FloodGuardLike;
  logger?: Logger;
  /**
   * Stamp rport (always) and received (when needed) on the top Via of `msg` for every request, as
   * drachtio-server does. `raw` is never modified. Default true.
   */
  stampVia?: boolean;
}

export interface TransportStats {
  messagesReceived: number;
  messagesSent: number;
  bytesReceived: number;
  bytesSent: number;
  parseErrors: number;
  errorResponsesSent: number;
  droppedBanned: number;
  /** Datagrams, stream messages and connections dropped because their source was flooding. */
  droppedFlooding: number;
  keepalivesAnswered: number;
  connectionsOpened: number;
  connectionsClosed: number;
  connectionsRejected: number;
  connectionsReaped: number;
  connectionsCurrent: number;
  sendErrors: number;
}

export interface ListeningInfo {
  proto: TransportProto;
  address: string;
  port: number;
  contact: string;
}

export interface TransportEvents {
  message: [InboundMessage];
  error: [Error];
  'connection-closed': [{ connectionId: string; proto: TransportProto; address: string; port: number }];
}

export type InboundSink = (msg: SipMessage, raw: Buffer, source: RemoteInfo) => void;

export { TransportManager } from './transport-manager';
