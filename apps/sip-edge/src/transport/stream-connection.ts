import type { Socket } from 'node:net';
import type { Connection } from './connection-registry';
import { StreamFramer } from './stream-framer';
import type { RemoteInfo } from './transport';
import { normalizeAddress, type TransportContext } from './transport-context';

const CRLF = Buffer.from('\r\n');

/** Turns an open TCP or TLS socket into a registered `Connection` that frames and hands on messages. */

export function attachStreamSocket(
  socket: Socket,
  proto: 'tcp' | 'tls',
  outbound: boolean,
  ctx: TransportContext,
): Connection {
  const remoteAddress = normalizeAddress(socket.remoteAddress);
  const remotePort = socket.remotePort ?? 0;
  const local = { address: normalizeAddress(socket.localAddress), port: socket.localPort ?? 0 };
  const framer = new StreamFramer(ctx.opts.maxStreamMessageBytes);
  let closed = false;

  const conn: Connection = {
    id: ctx.registry.nextId(proto),
    proto,
    remoteAddress,
    remotePort,
    local,
    outbound,
    lastActivity: Date.now(),
    write(data: Buffer): void {
      if (closed) return;
      conn.lastActivity = Date.now();
      socket.write(data);
      if (socket.writableLength > ctx.opts.maxPendingWriteBytes) conn.close('write backlog too large');
    },
    close(reason: string): void {
      if (closed) return;
      closed = true;
      ctx.logger.debug({ connectionId: conn.id, reason }, 'closing connection');
      socket.destroy();
    },
  };
  const source: RemoteInfo = Object.freeze({
    proto,
    address: remoteAddress,
    port: remotePort,
    connectionId: conn.id,
    local,
  });
  const reply = (data: Buffer): void => conn.write(data);

  socket.setNoDelay(true);
  socket.setKeepAlive(true, 30_000);
  socket.on('data', (chunk: Buffer) => {
    if (closed) return;
    if (ctx.isBanned(remoteAddress)) {
      ctx.stats.droppedBanned++;
      conn.close('banned');
      return;
    }
    conn.lastActivity = Date.now();
    for (const frame of framer.push(chunk)) {
      // Framing only finds message boundaries; the flood guard counts each message before it is parsed.
      if (frame.type !== 'fatal' && !outbound && ctx.floodHit(remoteAddress)) {
        ctx.stats.droppedFlooding++;
        conn.close('flooding');
        return;
      }
      if (frame.type === 'message') ctx.intake.receive(frame.data, source, reply);
      else if (frame.type === 'ping') {
        ctx.stats.keepalivesAnswered++;
        // Through conn.write, so a peer that pings and never reads hits the write-backlog cap.
        conn.write(CRLF);
      } else {
        ctx.intake.rejectFrame(frame.head, frame.status, frame.reason, source, reply);
        socket.end();
        conn.close(frame.reason);
        return;
      }
    }
    conn.partialSince = framer.pendingBytes > 0 ? (conn.partialSince ?? conn.lastActivity) : undefined;
  });
  socket.on('error', (err) => ctx.logger.debug({ err, connectionId: conn.id }, 'connection error'));
  socket.on('close', () => {
    closed = true;
    ctx.connectionClosed(conn);
  });
  ctx.connectionOpened(conn);
  return conn;
}
