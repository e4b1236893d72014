import { connect } from 'node:net';
import type { Logger } from '@pbx/common';
import type { SipRequest } from '../sip/message';
import type { RemoteInfo } from '../transport/transport';
import { AppConnection, type AppConnectionHandler } from '../wire/app-connection';
import { HttpRouter, type RouteDecision } from './http-router';
import { asNameAddr } from './outgoing-message';

/** A configured request handler: connect to an app directly, or ask an HTTP service first. */
type Handler = { kind: 'tcp'; host: string; port: number } | { kind: 'http'; url: string; httpMethod: 'GET' | 'POST' };

/** How the caller (the network request handler) carries out a routing decision for one new request. */
export interface RoutingActions {
  /** True once the caller CANCELled (the INVITE is answered 487 already): whatever was decided is dropped. */
  isCancelled(): boolean;
  toApp(conn: AppConnection): void;
  /** Answers here; `contact` (a Contact value, e.g. for a redirect) is written by the stack. */
  respond(status: number, reason: string, contact?: string): void;
  proxy(decision: Extract<RouteDecision, { action: 'proxy' }>): void;
  /** A connected app that routed the method and authenticated with this tag (drachtio `selectClientForTag`). */
  taggedApp(tag: string): AppConnection | undefined;
}

/** `host:port[;transport=tcp|tls]` or `tcp://host:port` as drachtio's makeOutboundConnection reads a route uri. */
function parseAppAddress(text: string): { host: string; port: number } | undefined {
  const m = /^(?:tcp:\/\/)?([^:/;\s]+):(\d{1,5})\/?(?:;transport=tcp)?$/i.exec(text.trim());
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) return undefined;
  return { host: m[1], port: Number(m[2]) };
}

/**
 * drachtio's request handlers (§8). For a new request of a configured method (or `*`), the edge either
 * connects to a listening srf app (`tcp://host:port`, [T14]; the app authenticates and the request goes
 * down that connection, which then carries the whole call) or asks an HTTP service (`http(s)://…`) what to
 * do: reject, redirect, proxy, or route to an app by address or by authenticate tag
 * (`DrachtioController::httpCallRoutingComplete`). An HTTP failure or an invalid answer gets 500; an app
 * that cannot be reached gets 480, as in drachtio. At most `maxInFlight` routing requests run at once
 * (more get 503). Routing to an app over TLS is not supported.
 */
export class OutboundConnector {
  private readonly targets = new Map<string, Handler>();
  private readonly http: HttpRouter;
  private readonly maxInFlight: number;
  private inFlight = 0;

  constructor(
    handlers: Record<string, string>,
    private readonly handler: AppConnectionHandler,
    private readonly logger: Logger,
    private readonly connectTimeoutMs = 5000,
    opts: { httpMethod?: 'GET' | 'POST'; http?: HttpRouter; maxInFlight?: number } = {},
  ) {
    this.http = opts.http ?? new HttpRouter();
    this.maxInFlight = opts.maxInFlight ?? 256;
    for (const [method, url] of Object.entries(handlers)) {
      if (/^https?:\/\//i.test(url)) {
        this.targets.set(method.toLowerCase(), { kind: 'http', url, httpMethod: opts.httpMethod ?? 'GET' });
        continue;
      }
      const addr = /^tcp:\/\//i.test(url) ? parseAppAddress(url) : undefined;
      if (!addr) throw new Error(`request handler for ${method} must be tcp://host:port or an http(s) URL, got ${url}`);
      this.targets.set(method.toLowerCase(), { kind: 'tcp', ...addr });
    }
  }

  handles(method: string): boolean {
    return this.targets.has(method.toLowerCase()) || this.targets.has('*');
  }

  /** Routes one new request by its method's handler; at most one of `actions` is called (possibly later). */
  route(req: SipRequest, raw: Buffer, source: RemoteInfo, actions: RoutingActions): void {
    const target = this.targets.get(req.method.toLowerCase()) ?? this.targets.get('*');
    if (!target) return actions.respond(500, 'Server Internal Error');
    const unreachable = () => {
      if (!actions.isCancelled()) actions.respond(480, 'Temporarily Unavailable');
    };
    const toApp = (conn: AppConnection, opened: boolean) => {
      if (!actions.isCancelled()) return actions.toApp(conn);
      // Opened for this request only, which is gone: srf would close it after the call (endSession).
      if (opened) conn.close();
    };
    if (target.kind === 'tcp') return this.connectTo(target, req.method, (c) => toApp(c, true), unreachable);
    if (this.inFlight >= this.maxInFlight) {
      // The routing service is slow or the edge is flooded: refuse rather than pile up sockets.
      this.logger.warn({ method: req.method, inFlight: this.inFlight }, 'HTTP request routing saturated');
      return actions.respond(503, 'Service Unavailable');
    }
    this.inFlight++;
    this.http
      .decide(target.url, target.httpMethod, req, source, raw)
      .finally(() => this.inFlight--)
      .then(
        (d) => {
          if (actions.isCancelled()) return;
          switch (d.action) {
            case 'reject':
              return actions.respond(d.status, d.reason ?? 'Rejected');
            case 'redirect':
              return actions.respond(302, 'Moved', d.contacts.map((c) => asNameAddr(c.replace(/[\r\n]/g, ''))).join(', '));
            case 'proxy':
              return actions.proxy(d);
            case 'route': {
              if ('tag' in d) {
                const conn = actions.taggedApp(d.tag);
                return conn ? toApp(conn, false) : unreachable();
              }
              const addr = parseAppAddress(d.uri);
              if (!addr) {
                this.logger.warn({ method: req.method }, 'routing answer names an invalid app address');
                return unreachable();
              }
              return this.connectTo(addr, req.method, (c) => toApp(c, true), unreachable);
            }
          }
        },
        (err: unknown) => {
          // The error only, never the URL (it may carry a token in its query).
          this.logger.warn({ reason: err instanceof Error ? err.message : String(err), method: req.method }, 'HTTP request routing failed');
          if (!actions.isCancelled()) actions.respond(500, 'Server Internal Error');
        },
      );
  }

  /** Connects to a listening app; `ready` gets the authenticated connection, `failed` is called otherwise. */
  private connectTo(target: { host: string; port: number }, method: string, ready: (conn: AppConnection) => void, failed: () => void): void {
    let settled = false;
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
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
