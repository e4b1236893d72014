import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Connection } from './connection-registry';
import type { ListenSpec } from './contact-string';
import { admitSocket, loadTlsCredentials } from './stream-transport';
import type { RemoteInfo } from './transport';
import { normalizeAddress, type TransportContext } from './transport-context';

const CRLF = Buffer.from('\r\n');

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

function isOnlyCrlf(data: Buffer): boolean {
  for (const b of data) if (b !== 0x0d && b !== 0x0a) return false;
  return true;
}

/** SIP over WebSocket (RFC 7118): one SIP message per WebSocket message, subprotocol `sip`. */
export class WsTransport {
  private constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    readonly spec: ListenSpec,
  ) {}

  static listen(spec: ListenSpec, ctx: TransportContext): Promise<WsTransport> {
    const proto = spec.proto === 'wss' ? 'wss' : 'ws';
    const http = proto === 'wss' ? createHttpsServer(loadTlsCredentials(ctx.opts.tls)) : createHttpServer();
    http.on('connection', (socket: Socket) => admitSocket(socket, ctx));
    http.on('tlsClientError', (err: Error) => ctx.logger.debug({ err }, 'wss handshake failed'));
    http.headersTimeout = 10_000;
    http.requestTimeout = 10_000;
    const wss = new WebSocketServer({
      server: http,
      maxPayload: ctx.opts.maxStreamMessageBytes,
      handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false),
      // RFC 7118 §4: the client must offer the "sip" subprotocol.
      verifyClient: (
        info: { req: IncomingMessage },
        done: (ok: boolean, code?: number, message?: string) => void,
      ) => {
        const offered = (info.req.headers['sec-websocket-protocol'] ?? '')
          .split(',')
          .some((p) => p.trim().toLowerCase() === 'sip');
        if (offered) done(true);
        else done(false, 400, 'The sip subprotocol is required');
      },
    });
    wss.on('connection', (ws, req) => attachWebSocket(ws, req, proto, ctx));
    wss.on('error', (err) => ctx.listenerError(err, spec.contact));
    return new Promise((resolve, reject) => {
      http.once('error', reject);
      http.listen({ port: spec.port, host: spec.address }, () => {
        http.off('error', reject);
        http.on('error', (err) => ctx.listenerError(err, spec.contact));
        resolve(new WsTransport(http, wss, spec));
      });
    });
  }

  get port(): number {
    const addr = this.http.address();
    return addr && typeof addr === 'object' ? addr.port : this.spec.port;
  }

  close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    return new Promise((resolve) => this.wss.close(() => this.http.close(() => resolve())));
  }
}

function attachWebSocket(
  ws: WebSocket,
  req: IncomingMessage,
  proto: 'ws' | 'wss',
  ctx: TransportContext,
): Connection {
  const socket = req.socket;
  const remoteAddress = normalizeAddress(socket.remoteAddress);
  const local = { address: normalizeAddress(socket.localAddress), port: socket.localPort ?? 0 };
  let closed = false;
  // Answer in the frame type the peer uses: SIP stacks in browsers send text frames and expect text back.
  let binary = false;
  const conn: Connection = {
    id: ctx.registry.nextId(proto),
    proto,
    remoteAddress,
    remotePort: socket.remotePort ?? 0,
    local,
    outbound: false,
    lastActivity: Date.now(),
    write(data: Buffer): void {
      if (closed) return;
      conn.lastActivity = Date.now();
      ws.send(data, { binary });
      if (ws.bufferedAmount > ctx.opts.maxPendingWriteBytes) conn.close('write backlog too large');
    },
    close(reason: string): void {
      if (closed) return;
      closed = true;
      ctx.logger.debug({ connectionId: conn.id, reason }, 'closing websocket');
      ws.terminate();
    },
  };
  const source: RemoteInfo = Object.freeze({
    proto,
    address: remoteAddress,
    port: conn.remotePort,
    connectionId: conn.id,
    local,
  });
  const reply = (data: Buffer): void => conn.write(data);
  ws.on('message', (raw: RawData, isBinary: boolean) => {
    if (closed) return;
    if (ctx.isBanned(remoteAddress)) {
      ctx.stats.droppedBanned++;
      conn.close('banned');
      return;
    }
    if (ctx.floodHit(remoteAddress)) {
      ctx.stats.droppedFlooding++;
      conn.close('flooding');
      return;
    }
    conn.lastActivity = Date.now();
    binary = isBinary;
    const data = toBuffer(raw);
    if (isOnlyCrlf(data)) {
      // Keep-alive as SIP.js sends it over WebSocket: CRLF CRLF, answered by CRLF (RFC 5626 §4.4.1).
      if (data.length >= 4) {
        ctx.stats.keepalivesAnswered++;
        ws.send(CRLF, { binary });
      }
      return;
    }
    ctx.intake.receive(data, source, reply);
  });
  ws.on('error', (err) => ctx.logger.debug({ err, connectionId: conn.id }, 'websocket error'));
  ws.on('close', () => {
    closed = true;
    ctx.connectionClosed(conn);
  });
  ctx.connectionOpened(conn);
  return conn;
}
