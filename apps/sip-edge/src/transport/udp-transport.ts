import { createSocket, type RemoteInfo as DgramRemoteInfo, type Socket } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { isIP } from 'node:net';
import type { ListenSpec } from './contact-string';
import type { RemoteInfo } from './transport';
import { normalizeAddress, type TransportContext } from './transport-context';

/** Socket buffers large enough to ride out bursts of a few thousand registrations per second. */
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * dgram resolves every destination, even an IP literal, through dns.lookup, which answers on the next tick:
 * a closure and a tick per datagram sent. Peers are almost always IP addresses here, so answer those at once.
 */
function lookupLiteral(hostname: string, options: unknown, callback: LookupCallback): void {
  const family = isIP(hostname);
  if (family !== 0) return callback(null, hostname, family);
  dnsLookup(hostname, options as number, callback);
}

export class UdpTransport {
  private readonly local: { address: string; port: number };

  private constructor(
    private readonly socket: Socket,
    private readonly ctx: TransportContext,
    readonly spec: ListenSpec,
  ) {
    const addr = socket.address();
    this.local = { address: normalizeAddress(addr.address), port: addr.port };
    socket.on('message', (data, rinfo) => this.onMessage(data, rinfo));
    socket.on('error', (err) => ctx.listenerError(err, spec.contact));
  }

  static bind(spec: ListenSpec, ctx: TransportContext): Promise<UdpTransport> {
    const socket = createSocket({ type: spec.address.indexOf(':') >= 0 ? 'udp6' : 'udp4', lookup: lookupLiteral });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(spec.port, spec.address, () => {
        socket.off('error', reject);
        for (const set of [
          () => socket.setRecvBufferSize(SOCKET_BUFFER_BYTES),
          () => socket.setSendBufferSize(SOCKET_BUFFER_BYTES),
        ]) {
          try {
            set();
          } catch (err) {
            ctx.logger.debug({ err }, 'could not enlarge udp socket buffer');
          }
        }
        resolve(new UdpTransport(socket, ctx, spec));
      });
    });
  }

  get address(): string {
    return this.local.address;
  }

  get port(): number {
    return this.local.port;
  }

  get family(): 4 | 6 {
    return this.spec.address.indexOf(':') >= 0 ? 6 : 4;
  }

  send(data: Buffer, address: string, port: number, done: (err: Error | null) => void): void {
    this.socket.send(data, port, address, done);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }

  private onMessage(data: Buffer, rinfo: DgramRemoteInfo): void {
    const address = normalizeAddress(rinfo.address);
    // The drop list and the flood guard are checked before anything else looks at the bytes.
    if (this.ctx.isBanned(address)) {
      this.ctx.stats.droppedBanned++;
      return;
    }
    if (this.ctx.floodHit(address)) {
      this.ctx.stats.droppedFlooding++;
      return;
    }
    // A lone CRLF (or double CRLF) is a keep-alive on UDP too; it needs no answer (RFC 5626 §4.4.2 uses STUN).
    if (data.length <= 4 && data.every((b) => b === 0x0d || b === 0x0a)) return;
    const source: RemoteInfo = { proto: 'udp', address, port: rinfo.port, local: this.local };
    this.ctx.intake.receive(data, source, (reply) => {
      this.socket.send(reply, rinfo.port, rinfo.address, (err) => {
        if (err) this.ctx.logger.debug({ err }, 'udp reply failed');
      });
    });
  }
}
