import { createSocket } from 'node:dgram';
import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export type ClientTransport = 'udp' | 'tcp' | 'tls';

/** One client socket to the SIP server: datagrams, or a stream framed by Content-Length. */
export interface Wire {
  transport: ClientTransport;
  port: number;
  send(text: string): void;
  close(): void;
}

/**
 * Opens a socket from `address` to the server over `transport` and hands every SIP message received
 * to `onMessage`. TLS checks the server against `ca` when given, else accepts any certificate.
 */
export async function openWire(
  server: { host: string; port: number },
  address: string,
  transport: ClientTransport,
  onMessage: (text: string) => void,
  tls: { ca?: Buffer; servername?: string } = {},
): Promise<Wire> {
  if (transport === 'udp') {
    const s = createSocket('udp4');
    await new Promise<void>((resolve) => s.bind(0, address, () => resolve()));
    s.on('message', (m) => onMessage(m.toString()));
    return { transport, port: s.address().port, send: (t) => s.send(t, server.port, server.host), close: () => s.close() };
  }
  const opts = { host: server.host, port: server.port, localAddress: address };
  const sock =
    transport === 'tls'
      ? tlsConnect({ ...opts, ...(tls.ca ? { ca: tls.ca, servername: tls.servername } : { rejectUnauthorized: false }) })
      : tcpConnect(opts);
  await new Promise<void>((resolve, reject) => {
    sock.once(transport === 'tls' ? 'secureConnect' : 'connect', () => resolve());
    sock.once('error', reject);
  });
  let buf = '';
  sock.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
      const len = Number(/\r\nContent-Length:\s*(\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
      if (buf.length < end + 4 + len) break;
      onMessage(buf.slice(0, end + 4 + len));
      buf = buf.slice(end + 4 + len);
    }
  });
  sock.on('error', () => undefined);
  return { transport, port: sock.localPort ?? 0, send: (t) => sock.write(t), close: () => sock.destroy() };
}
