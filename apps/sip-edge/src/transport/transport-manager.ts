import { EventEmitter } from 'node:events';
import { createLogger, type Logger } from '@pbx/common';
import type { SipMessage } from '../sip/message';
import { serialize } from '../sip/message-serializer';
import { DEFAULT_SIP_LIMITS } from '../sip/sip-limits';
import {
  ConnectionRegistry,
  describeConnection,
  type Connection,
  type ConnectionInfo,
} from './connection-registry';
import { formatContact, parseContactString } from './contact-string';
import { MessageIntake } from './message-intake';
import { StreamTransport, connectStream } from './stream-transport';
import type {
  InboundMessage,
  ListeningInfo,
  SendTarget,
  TransportEvents,
  TransportOptions,
  TransportProto,
  TransportStats,
} from './transport';
import type { ResolvedTransportOptions, TransportContext } from './transport-context';
import { UdpTransport } from './udp-transport';
import { WsTransport } from './ws-transport';

function emptyStats(): TransportStats {
  return {
    messagesReceived: 0,
    messagesSent: 0,
    bytesReceived: 0,
    bytesSent: 0,
    parseErrors: 0,
    errorResponsesSent: 0,
    droppedBanned: 0,
    droppedFlooding: 0,
    keepalivesAnswered: 0,
    connectionsOpened: 0,
    connectionsClosed: 0,
    connectionsRejected: 0,
    connectionsReaped: 0,
    connectionsCurrent: 0,
    sendErrors: 0,
  };
}

function resolveOptions(opts: TransportOptions): ResolvedTransportOptions {
  return {
    maxDatagramBytes: opts.limits?.maxMessageBytes ?? DEFAULT_SIP_LIMITS.maxMessageBytes,
    maxHeaders: opts.limits?.maxHeaders ?? DEFAULT_SIP_LIMITS.maxHeaders,
    maxHeaderLineBytes: opts.limits?.maxHeaderLineBytes ?? DEFAULT_SIP_LIMITS.maxHeaderLineBytes,
    maxStreamMessageBytes: opts.maxStreamMessageBytes ?? 64 * 1024,
    maxPendingWriteBytes: opts.maxPendingWriteBytes ?? 1024 * 1024,
    idleTimeoutMs: opts.idleTimeoutMs ?? 300_000,
    incompleteMessageTimeoutMs: opts.incompleteMessageTimeoutMs ?? 30_000,
    maxConnections: opts.maxConnections ?? 10_000,
    maxConnectionsPerIp: opts.maxConnectionsPerIp ?? 1_000,
    connectTimeoutMs: opts.connectTimeoutMs ?? 5_000,
    tls: opts.tls,
  };
}

/**
 * Every SIP listener of the edge behind one object. Emits `message` for each well-formed message
 * received; malformed ones are answered (400 and friends) or dropped here and never emitted.
 */
export class TransportManager extends EventEmitter<TransportEvents> {
  private readonly logger: Logger;
  private readonly counters = emptyStats();
  private readonly registry = new ConnectionRegistry();
  private readonly ctx: TransportContext;
  private readonly udp: UdpTransport[] = [];
  private readonly servers: Array<StreamTransport | WsTransport> = [];
  private readonly connecting = new Map<string, Promise<Connection>>();
  private reaper?: NodeJS.Timeout;
  private closed = false;

  private constructor(opts: TransportOptions) {
    super();
    this.logger = opts.logger ?? createLogger('sip-edge-transport');
    const resolved = resolveOptions(opts);
    const dropList = opts.dropList;
    const floodGuard = opts.floodGuard;
    const intake = new MessageIntake(
      resolved,
      this.counters,
      this.logger,
      (m: InboundMessage) => this.emit('message', m),
      opts.stampVia ?? true,
    );
    this.ctx = {
      logger: this.logger,
      stats: this.counters,
      registry: this.registry,
      intake,
      opts: resolved,
      isBanned: dropList ? (ip) => dropList.has(ip) : () => false,
      floodHit: floodGuard ? (ip) => floodGuard.hit(ip) : () => false,
      hasRoomForConnection: (ip) =>
        this.registry.size < resolved.maxConnections &&
        (ip === undefined || this.registry.countFor(ip) < resolved.maxConnectionsPerIp),
      connectionOpened: (conn) => {
        this.counters.connectionsOpened++;
        this.registry.add(conn);
      },
      listenerError: (err, listen) => {
        this.logger.warn({ err, listen }, 'transport listener error');
        // An `error` event nobody listens to would throw, and the edge must not crash on a socket error.
        if (this.listenerCount('error') > 0) this.emit('error', err);
      },
      connectionClosed: (conn) => {
        if (!this.registry.remove(conn)) return;
        this.counters.connectionsClosed++;
        this.emit('connection-closed', {
          connectionId: conn.id,
          proto: conn.proto,
          address: conn.remoteAddress,
          port: conn.remotePort,
        });
      },
    };
  }

  static async start(opts: TransportOptions): Promise<TransportManager> {
    const manager = new TransportManager(opts);
    try {
      for (const contact of opts.contacts) {
        const spec = parseContactString(contact);
        if (spec.proto === 'udp') manager.udp.push(await UdpTransport.bind(spec, manager.ctx));
        else if (spec.proto === 'tcp' || spec.proto === 'tls')
          manager.servers.push(await StreamTransport.listen(spec, manager.ctx));
        else manager.servers.push(await WsTransport.listen(spec, manager.ctx));
      }
    } catch (err) {
      await manager.close();
      throw err;
    }
    manager.startReaper();
    manager.logger.info({ listening: manager.listening().map((l) => l.contact) }, 'sip transports listening');
    return manager;
  }

  /**
   * Sends over the connection named by `connectionId`, else over an open connection to that address,
   * else (tcp/tls only) over a new one. Rejects when the message cannot be handed to a socket.
   */
  send(target: SendTarget & { local?: { address: string; port: number } }, msg: SipMessage | Buffer): Promise<void> {
    const data = Buffer.isBuffer(msg) ? msg : serialize(msg);
    if (target.proto !== 'udp') return this.sendStream(target, data);
    // UDP is most of the traffic: one promise per datagram and no async function around it.
    return new Promise((resolve, reject) => {
      try {
        this.pickUdp(target).send(data, target.address, target.port, (err) => {
          if (err) {
            this.counters.sendErrors++;
            return reject(err);
          }
          this.counters.messagesSent++;
          this.counters.bytesSent += data.length;
          resolve();
        });
      } catch (err) {
        this.counters.sendErrors++;
        reject(err);
      }
    });
  }

  private async sendStream(target: SendTarget, data: Buffer): Promise<void> {
    try {
      (await this.connectionFor(target)).write(data);
    } catch (err) {
      this.counters.sendErrors++;
      throw err;
    }
    this.counters.messagesSent++;
    this.counters.bytesSent += data.length;
  }

  listening(): ListeningInfo[] {
    const out: ListeningInfo[] = [];
    for (const u of this.udp)
      out.push({
        proto: 'udp',
        address: u.spec.address,
        port: u.port,
        contact: formatContact('udp', u.spec.address, u.port),
      });
    for (const l of this.servers) {
      out.push({
        proto: l.spec.proto,
        address: l.spec.address,
        port: l.port,
        contact: formatContact(l.spec.proto, l.spec.address, l.port),
      });
    }
    return out;
  }

  getConnection(connectionId: string): ConnectionInfo | undefined {
    const c = this.registry.get(connectionId);
    return c ? describeConnection(c) : undefined;
  }

  findConnection(proto: TransportProto, address: string, port: number): ConnectionInfo | undefined {
    const c = this.registry.findByRemote(proto, address, port);
    return c ? describeConnection(c) : undefined;
  }

  connections(): ConnectionInfo[] {
    return [...this.registry.all()].map(describeConnection);
  }

  closeConnection(connectionId: string, reason = 'closed by application'): boolean {
    const c = this.registry.get(connectionId);
    c?.close(reason);
    return !!c;
  }

  stats(): TransportStats {
    return { ...this.counters, connectionsCurrent: this.registry.size };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.reaper) clearInterval(this.reaper);
    for (const c of [...this.registry.all()]) c.close('shutdown');
    await Promise.all([...this.udp.map((u) => u.close()), ...this.servers.map((l) => l.close())]);
  }

  private pickUdp(target: { address: string; local?: { address: string; port: number } }): UdpTransport {
    if (target.local) {
      const local = target.local;
      const exact = this.udp.find(
        (u) => u.port === local.port && (u.address === local.address || u.spec.address === local.address),
      );
      const byPort = exact ?? this.udp.find((u) => u.port === local.port);
      if (byPort) return byPort;
    }
    const family = target.address.indexOf(':') >= 0 ? 6 : 4;
    const u = this.udp.find((x) => x.family === family) ?? this.udp[0];
    if (!u) throw new Error('no udp transport is listening');
    return u;
  }

  private async connectionFor(target: SendTarget): Promise<Connection> {
    const byId = target.connectionId ? this.registry.get(target.connectionId) : undefined;
    const existing = byId ?? this.registry.findByRemote(target.proto, target.address, target.port);
    if (existing) return existing;
    if (target.proto !== 'tcp' && target.proto !== 'tls') {
      throw new Error(`no open ${target.proto} connection to ${target.address}:${target.port}`);
    }
    if (this.closed) throw new Error('transport manager is closed');
    const key = `${target.proto}|${target.address}|${target.port}`;
    let pending = this.connecting.get(key);
    if (!pending) {
      pending = connectStream(target.proto, target.address, target.port, this.ctx).finally(() =>
        this.connecting.delete(key),
      );
      this.connecting.set(key, pending);
    }
    return pending;
  }

  private startReaper(): void {
    const { idleTimeoutMs, incompleteMessageTimeoutMs } = this.ctx.opts;
    const shortest = Math.min(...[idleTimeoutMs, incompleteMessageTimeoutMs].filter((ms) => ms > 0));
    if (!Number.isFinite(shortest)) return;
    this.reaper = setInterval(
      () => {
        for (const [c, reason] of this.registry.stale(
          Date.now(),
          idleTimeoutMs,
          incompleteMessageTimeoutMs,
        )) {
          this.counters.connectionsReaped++;
          c.close(reason);
        }
      },
      Math.min(Math.max(Math.floor(shortest / 4), 50), 5_000),
    );
    this.reaper.unref();
  }
}
