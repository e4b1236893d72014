import { createServer, Server, Socket } from 'node:net';
import { createServer as createTlsServer, TlsOptions } from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@pbx/common';
import { AppConnection, AppConnectionHandler } from './app-connection';

export interface WireServerOptions {
  host: string;
  port: number;
  tls?: TlsOptions;
}

/** Admin listener for drachtio-srf apps (inbound connection mode). */
export class WireServer {
  private server?: Server;
  private readonly connections = new Set<AppConnection>();

  constructor(
    private readonly handler: AppConnectionHandler,
    private readonly logger: Logger,
  ) {}

  async listen(opts: WireServerOptions): Promise<number> {
    const onSocket = (socket: Socket) => {
      const conn = new AppConnection(socket, this.wrapHandler(), this.logger);
      this.connections.add(conn);
      this.handler.opened(conn);
      this.logger.info({ conn: conn.id, remote: conn.remote }, 'app connected');
    };
    const server = opts.tls ? createTlsServer(opts.tls, onSocket) : createServer(onSocket);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        // After listen, errors (EMFILE on accept…) are logged: a second one with no listener would kill the process.
        server.off('error', reject);
        server.on('error', (err) => this.logger.warn({ err }, 'admin listener error'));
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  async close(): Promise<void> {
    for (const conn of this.connections) conn.close();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private wrapHandler(): AppConnectionHandler {
    return {
      hostports: () => this.handler.hostports(),
      authenticate: (s) => this.handler.authenticate(s),
      opened: (c) => this.handler.opened(c),
      route: (c, v) => this.handler.route(c, v),
      removeRoutes: (c) => this.handler.removeRoutes(c),
      sip: (c, cmd) => this.handler.sip(c, cmd),
      proxy: (c, cmd) => this.handler.proxy(c, cmd),
      closed: (c) => {
        this.connections.delete(c);
        this.logger.info({ conn: c.id }, 'app disconnected');
        this.handler.closed(c);
      },
    };
  }
}
