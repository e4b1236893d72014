import { connect } from 'node:net';
import type { Logger } from '@pbx/common';
import { AppConnection, type AppConnectionHandler } from '../wire/app-connection';

/**
 * drachtio's outbound connection mode (§8) for `tcp://host:port` request handlers: for a new request of
 * that method the edge connects to a listening srf app (`srf.listen`), the app authenticates, and the
 * request goes down that connection, which then carries the whole call [T14]. http(s) handlers are not
 * supported.
 */
export class OutboundConnector {
  private readonly targets = new Map<string, { host: string; port: number }>();

  constructor(
    handlers: Record<string, string>,
    private readonly handler: AppConnectionHandler,
    private readonly logger: Logger,
    private readonly connectTimeoutMs = 5000,
  ) {
    for (const [method, url] of Object.entries(handlers)) {
      const m = /^tcp:\/\/([^:/]+):(\d+)\/?$/.exec(url);
      if (!m) throw new Error(`request handler for ${method} must be tcp://host:port, got ${url}`);
      this.targets.set(method.toLowerCase(), { host: m[1], port: Number(m[2]) });
    }
  }

  handles(method: string): boolean {
    return this.targets.has(method.toLowerCase());
  }

  /** Connects for one request; `ready` gets the authenticated connection, `failed` is called otherwise. */
  open(method: string, ready: (conn: AppConnection) => void, failed: () => void): void {
    const target = this.targets.get(method.toLowerCase());
    if (!target) return failed();
    let settled = false;
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      this.logger.warn({ method, target, reason }, 'outbound app connection failed');
      socket.destroy();
      failed();
    };
    const socket = connect({ host: target.host, port: target.port });
    const timer = setTimeout(() => fail('timeout'), this.connectTimeoutMs);
    socket.once('error', (err) => fail(err.message));
    socket.once('connect', () => {
      const conn = new AppConnection(socket, this.handler, this.logger);
      this.handler.opened(conn);
      conn.onAuthenticated = () => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        ready(conn);
      };
    });
  }
}
