import { readFileSync } from 'node:fs';
import { createServer, connect as netConnect, isIP, type Server, type Socket } from 'node:net';
import {
  createServer as createTlsServer,
  connect as tlsConnect,
  type SecureContextOptions,
  type TLSSocket,
} from 'node:tls';
import type { Connection } from './connection-registry';
import type { ListenSpec } from './contact-string';
import { attachStreamSocket } from './stream-connection';
import type { TlsSettings } from './transport';
import { normalizeAddress, type TransportContext } from './transport-context';

const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** Key, certificate and chain read once at start-up; a missing file fails the start. */
export function loadTlsCredentials(tls: TlsSettings | undefined): SecureContextOptions {
  if (!tls) throw new Error('a tls or wss transport needs tls.keyFile and tls.certFile');
  const cert = readFileSync(tls.certFile, 'utf8');
  const chain = tls.chainFile ? readFileSync(tls.chainFile, 'utf8') : '';
  return {
    key: readFileSync(tls.keyFile),
    cert: chain ? `${cert.trimEnd()}\n${chain}` : cert,
    minVersion: tls.minVersion ?? 'TLSv1.2',
    maxVersion: tls.maxVersion ?? 'TLSv1.3',
  };
}

/**
 * Accepts a raw TCP connection unless its source is banned or flooding (a new connection counts as a
 * request) or the edge is full. Runs before any byte is read (and, for TLS, before the handshake).
 */
export function admitSocket(socket: Socket, ctx: TransportContext): boolean {
  const remote = normalizeAddress(socket.remoteAddress);
  if (ctx.isBanned(remote)) {
    ctx.stats.droppedBanned++;
    socket.destroy();
    return false;
  }
  if (ctx.floodHit(remote)) {
    ctx.stats.droppedFlooding++;
    socket.destroy();
    return false;
  }
  if (!ctx.hasRoomForConnection(remote)) {
    ctx.stats.connectionsRejected++;
    socket.destroy();
    return false;
  }
  socket.on('error', () => undefined);
  return true;
}

export class StreamTransport {
  private constructor(
    private readonly server: Server,
    readonly spec: ListenSpec,
  ) {}

  static listen(spec: ListenSpec, ctx: TransportContext): Promise<StreamTransport> {
    let server: Server;
    if (spec.proto === 'tls') {
      server = createTlsServer({
        ...loadTlsCredentials(ctx.opts.tls),
        handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
      });
      server.on('connection', (socket: Socket) => admitSocket(socket, ctx));
      server.on('secureConnection', (socket: TLSSocket) => attachStreamSocket(socket, 'tls', false, ctx));
      server.on('tlsClientError', (err) => ctx.logger.debug({ err }, 'tls handshake failed'));
    } else {
      server = createServer((socket) => {
        if (admitSocket(socket, ctx)) attachStreamSocket(socket, 'tcp', false, ctx);
      });
    }
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: spec.port, host: spec.address }, () => {
        server.off('error', reject);
        server.on('error', (err) => ctx.listenerError(err, spec.contact));
        resolve(new StreamTransport(server, spec));
      });
    });
  }

  get port(): number {
    const addr = this.server.address();
    return addr && typeof addr === 'object' ? addr.port : this.spec.port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Opens an outbound TCP or TLS connection and registers it once it is usable. */
export function connectStream(
  proto: 'tcp' | 'tls',
  address: string,
  port: number,
  ctx: TransportContext,
): Promise<Connection> {
  if (!ctx.hasRoomForConnection()) {
    ctx.stats.connectionsRejected++;
    return Promise.reject(new Error('connection limit reached'));
  }
  return new Promise((resolve, reject) => {
    const tls = ctx.opts.tls;
    const socket: Socket =
      proto === 'tls'
        ? tlsConnect({
            host: address,
            port,
            servername: isIP(address) ? undefined : address,
            rejectUnauthorized: tls?.verifyOutbound ?? true,
            minVersion: tls?.minVersion ?? 'TLSv1.2',
          })
        : netConnect({ host: address, port });
    const timer = setTimeout(
      () => socket.destroy(new Error(`connect to ${proto}:${address}:${port} timed out`)),
      ctx.opts.connectTimeoutMs,
    );
    const fail = (err: Error): void => {
      clearTimeout(timer);
      reject(err);
    };
    socket.once('error', fail);
    socket.once(proto === 'tls' ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      resolve(attachStreamSocket(socket, proto, true, ctx));
    });
  });
}
