import { createHash, timingSafeEqual } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { Logger } from '@pbx/common';
import type { InboundMessage } from '../transport/transport';
import { DEFAULT_TIMERS, SipTimerConfig } from '../transaction/sip-timers';
import type { AppConnection, AppConnectionHandler, AppProxyCommand, AppSipCommand } from '../wire/app-connection';
import { AppMessageError, parseAppMessage } from './app-message';
import { AppRequestHandler } from './app-request.handler';
import { AppResponseHandler } from './app-response.handler';
import { CancelHandler } from './cancel.handler';
import { ClientResponseRelay } from './client-response.relay';
import { EdgeContext, TransportPort } from './edge-context';
import { EdgeMetrics } from './edge-metrics';
import { NetworkRequestHandler } from './network-request.handler';
import { OutboundConnector } from './outbound-connector';
import { ProxiedDialogs } from './proxied-dialogs';
import { ProxyHandler } from './proxy.handler';
import { StatelessForwarder } from './stateless-forwarder';
import { UnsolicitedBye } from './unsolicited-bye';
import { buildServerResponse } from './response-builder';
import { generateTag } from '../sip/message';

export interface SipEdgeOptions {
  transport: TransportPort;
  secret: string;
  logger: Logger;
  timers?: SipTimerConfig;
  maxTransactions?: number;
  registry?: Registry;
  cdrs?: boolean;
  maxPendingPerApp?: number;
  externalIp?: string;
  /** drachtio request-handlers: method (or `*`) → `tcp://host:port` of a listening srf app, or an http(s) routing URL. */
  requestHandlers?: Record<string, string>;
  /** HTTP method for http(s) request handlers (drachtio's `http-method`). */
  requestHandlerHttpMethod?: 'GET' | 'POST';
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The embedded drachtio-server: SIP from the transports goes through transactions and dialogs to the
 * apps on the admin connections, and app commands come back out as SIP. Implements the app side of the
 * wire protocol: framing in ../wire/frame-decoder.ts, messages in ../wire/wire-format.ts, connections and
 * commands in ../wire/app-connection.ts; apps/sip-edge/README.md lists where it differs from drachtio-server.
 */
export class SipEdge implements AppConnectionHandler {
  readonly ctx: EdgeContext;
  private readonly secret: Buffer;
  private readonly networkRequests: NetworkRequestHandler;
  private readonly appResponses: AppResponseHandler;
  private readonly appRequests: AppRequestHandler;
  private readonly relay: ClientResponseRelay;
  private readonly proxies: ProxyHandler;
  private readonly stateless: StatelessForwarder;

  constructor(opts: SipEdgeOptions) {
    const metrics = new EdgeMetrics(opts.registry, {
      transactions: () => this.ctx.tl.serverCount + this.ctx.tl.clientCount,
      dialogs: () => this.ctx.dialogs.size,
      apps: () => this.ctx.connections.size,
    });
    const ctx = new EdgeContext({
      transport: opts.transport,
      logger: opts.logger,
      metrics,
      timers: opts.timers ?? DEFAULT_TIMERS,
      maxTransactions: opts.maxTransactions ?? 500_000,
      cdrs: opts.cdrs,
      maxPendingPerApp: opts.maxPendingPerApp,
      externalIp: opts.externalIp,
    });
    this.ctx = ctx;
    this.secret = digest(opts.secret);
    const bye = new UnsolicitedBye(ctx);
    this.relay = new ClientResponseRelay(ctx);
    const proxied = new ProxiedDialogs();
    this.proxies = new ProxyHandler(ctx, proxied);
    this.stateless = new StatelessForwarder(ctx, proxied);
    const outbound =
      opts.requestHandlers && Object.keys(opts.requestHandlers).length
        ? new OutboundConnector(opts.requestHandlers, this, opts.logger.child({ component: 'outbound' }), 5000, {
            httpMethod: opts.requestHandlerHttpMethod,
          })
        : undefined;
    this.networkRequests = new NetworkRequestHandler(ctx, new CancelHandler(ctx), this.proxies, this.stateless, outbound);
    this.appResponses = new AppResponseHandler(ctx, bye);
    this.appRequests = new AppRequestHandler(ctx, this.relay);
  }

  /** Entry point for every message the transports receive. */
  onInbound(m: InboundMessage): void {
    const { msg, raw, source } = m;
    if (msg.kind === 'request') {
      this.ctx.metrics.sipReceived.inc({ kind: 'request' });
      this.networkRequests.handle(msg, raw, source);
      return;
    }
    this.ctx.metrics.sipReceived.inc({ kind: 'response' });
    if (this.relay.dispatch(msg, raw, source)) return;
    if (this.stateless.forwardResponse(msg)) return;
    this.ctx.metrics.drops.inc({ reason: 'stray-response' });
  }

  hostports(): { external: string; local: string } {
    return this.ctx.hostports();
  }

  authenticate(secret: string): boolean {
    return timingSafeEqual(digest(secret), this.secret);
  }

  opened(conn: AppConnection): void {
    this.ctx.connections.set(conn.id, conn);
  }

  route(conn: AppConnection, verb: string): void {
    this.ctx.router.add(conn, verb);
  }

  removeRoutes(conn: AppConnection): void {
    this.ctx.router.removeConnection(conn);
  }

  sip(conn: AppConnection, cmd: AppSipCommand): void {
    this.ctx.metrics.appFrames.inc({ direction: 'from-app' });
    let msg;
    try {
      msg = parseAppMessage(cmd.sip);
    } catch (err) {
      if (!(err instanceof AppMessageError)) throw err;
      return conn.reply(cmd.msgId, 'NOK', err.message);
    }
    if (msg.kind === 'response') return this.appResponses.handle(conn, cmd, msg);
    this.appRequests.handle(conn, cmd, msg).catch((err: unknown) => {
      this.ctx.logger.error({ err, conn: conn.id }, 'app request failed');
      conn.reply(cmd.msgId, 'NOK', 'Server error: request could not be sent');
    });
  }

  proxy(conn: AppConnection, cmd: AppProxyCommand): void {
    this.proxies.handle(conn, cmd);
  }

  /**
   * An app went away: its unanswered requests get 503 (nobody else can answer them) and its dialogs are
   * forgotten, so later in-dialog requests get 481 (§5).
   */
  closed(conn: AppConnection): void {
    this.ctx.router.removeConnection(conn);
    this.ctx.connections.delete(conn.id);
    for (const rec of this.ctx.pendingServer.values()) {
      if (rec.conn !== conn) continue;
      this.ctx.removePending(rec);
      rec.txn.respond(503, buildServerResponse(rec.req, rec.topVia, 503, 'Service Unavailable', rec.toTag || generateTag()));
    }
    for (const dialog of this.ctx.dialogs.removeOwnedBy(conn.id)) this.ctx.endDialog(dialog);
    for (const rec of this.ctx.pendingClient.values()) if (rec.conn === conn) this.ctx.pendingClient.delete(rec.txnId);
  }

  close(): void {
    // Includes the connections the edge opened itself in outbound mode, which no listener owns.
    for (const conn of [...this.ctx.connections.values()]) conn.close();
    this.ctx.tl.close();
    this.proxies.dialogs.close();
    this.ctx.dialogs.clear();
    this.ctx.pendingServer.clear();
    this.ctx.pendingClient.clear();
  }
}
