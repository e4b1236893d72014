import { createHash } from 'node:crypto';
import { generateBranch, generateTag, parseUri, parseVia, serialize, SipRequest, SipResponse } from '../sip/message';
import type { ClientTransaction, ClientTransactionUser } from '../transaction/client-transaction';
import type { RemoteInfo } from '../transport/transport';
import type { AppConnection, AppProxyCommand } from '../wire/app-connection';
import { proxyResponseData } from '../wire/wire-format';
import type { NetworkResponse } from './client-response.relay';
import type { EdgeContext, ServerRequestRecord } from './edge-context';
import { buildServerResponse } from './response-builder';
import { resolveTarget } from './target-resolver';

/** State of one `proxy` command: the upstream server transaction and the downstream attempts. */
interface ProxySession {
  rec: ServerRequestRecord;
  cmd: AppProxyCommand;
  conn: AppConnection;
  next: number;
  current?: ClientTransaction;
  currentBranch?: string;
  done: boolean;
}

/**
 * srf's proxyRequest (§3.5): forwards the request to each destination in turn (serial), relays
 * provisional and final responses upstream, and reports final responses to the app (`continue`, then
 * `done`). With remainInDialog it Record-Routes, and later in-dialog requests carrying our Route are
 * forwarded statelessly (RFC 3261 §16.11), as are their responses.
 */
export class ProxyHandler {
  constructor(private readonly ctx: EdgeContext) {}

  handle(conn: AppConnection, cmd: AppProxyCommand): void {
    const rec = this.ctx.pendingServer.get(cmd.txnId);
    if (!rec) return conn.reply(cmd.msgId, 'NOK', `Unknown transaction id: ${cmd.txnId}`);
    this.ctx.removePending(rec);
    rec.answered = true;
    const maxForwards = parseInt(rec.req.headers.get('max-forwards') ?? '70', 10);
    if (maxForwards <= 1) {
      rec.txn.respond(483, buildServerResponse(rec.req, rec.topVia, 483, 'Too Many Hops', generateTag()));
      return conn.reply(cmd.msgId, 'NOK', 'Rejected with 483 Too Many Hops');
    }
    const session: ProxySession = { rec, cmd, conn, next: 0, done: false };
    rec.onCancel = () => this.cancelDownstream(session);
    this.next(session);
  }

  isRoutedThroughUs(req: SipRequest): boolean {
    const route = req.headers.get('route');
    if (!route) return false;
    const lt = route.indexOf('<');
    const uri = parseUri(lt >= 0 ? route.slice(lt + 1, route.indexOf('>', lt)) : route.split(',')[0]);
    return !!uri && this.ctx.isSelf(uri.host, uri.port ?? 5060);
  }

  /** Stateless forwarding of an in-dialog request that Record-Routed through us. */
  forwardInDialog(req: SipRequest, _raw: Buffer, source: RemoteInfo, viaHost: string): void {
    const out: SipRequest = { ...req, headers: req.headers.clone() };
    out.headers.removeFirst('route');
    const nextRoute = out.headers.get('route');
    const targetUri = nextRoute ? nextRoute.replace(/^.*?<([^>]*)>.*$/, '$1') : req.uri;
    resolveTarget(targetUri).then((peer) => {
      if (!peer) return;
      const local = this.ctx.local(peer.proto);
      const top = out.headers.get('via') ?? '';
      const stamped = top ? this.stamp(top, viaHost, source) : top;
      if (stamped) out.headers.removeFirst('via');
      if (stamped) out.headers.prepend('Via', stamped);
      // Stateless proxies derive the branch from the incoming one so retransmissions match (§16.11).
      const branch = `z9hG4bK${createHash('sha1').update(top).digest('base64url').slice(0, 16)}`;
      out.headers.prepend('Via', `SIP/2.0/${peer.proto.toUpperCase()} ${local.hostport};rport;branch=${branch}`);
      const mf = parseInt(out.headers.get('max-forwards') ?? '70', 10);
      out.headers.set('Max-Forwards', String(Math.max(0, mf - 1)));
      this.ctx.send(peer, serialize(out));
    }, (err: unknown) => this.ctx.logger.warn({ err }, 'stateless forward failed'));
  }

  /** Tries the next destination; a failure there ends the proxy with 503 instead of an unhandled rejection. */
  private next(s: ProxySession): void {
    this.tryNext(s).catch((err: unknown) => {
      this.ctx.logger.warn({ err }, 'proxy attempt failed');
      this.finish(s, 503, 'Service Unavailable');
    });
  }

  /** A response whose top Via is ours but matches no transaction: pass it on to the next Via. */
  forwardResponse(msg: SipResponse): boolean {
    const top = msg.headers.get('via');
    const via = top ? parseVia(top) : undefined;
    if (!via || !this.ctx.isSelf(via.host, via.port ?? 5060)) return false;
    const out: SipResponse = { ...msg, headers: msg.headers.clone() };
    out.headers.removeFirst('via');
    const nextTop = out.headers.get('via');
    const next = nextTop ? parseVia(nextTop) : undefined;
    if (!next) return false;
    const proto = next.transport.toLowerCase() as RemoteInfo['proto'];
    const address = next.received ?? next.host;
    const port = typeof next.rport === 'number' ? next.rport : (next.port ?? 5060);
    this.ctx.send({ proto, address, port }, serialize(out));
    return true;
  }

  private stamp(top: string, viaHost: string, source: RemoteInfo): string {
    let v = top.split(',')[0].trim();
    if (viaHost !== source.address && !/;received=/i.test(v)) v += `;received=${source.address}`;
    return /;rport(?=;|$)/.test(v) ? v.replace(/;rport(?=;|$)/, `;rport=${source.port}`) : v;
  }

  private async tryNext(s: ProxySession): Promise<void> {
    const dest = s.cmd.destinations[s.next++];
    if (!dest) return;
    const peer = await resolveTarget(dest);
    if (!peer) return this.finish(s, 503, undefined);
    const local = this.ctx.local(peer.proto);
    const req: SipRequest = { ...s.rec.req, uri: dest, headers: s.rec.req.headers.clone() };
    if (s.rec.topVia) {
      req.headers.removeFirst('via');
      req.headers.prepend('Via', s.rec.topVia);
    }
    const branch = generateBranch();
    if (s.cmd.remainInDialog) req.headers.prepend('Record-Route', `<sip:${local.hostport};lr>`);
    req.headers.prepend('Via', `SIP/2.0/${peer.proto.toUpperCase()} ${local.hostport};rport;branch=${branch}`);
    const mf = parseInt(req.headers.get('max-forwards') ?? '70', 10);
    req.headers.set('Max-Forwards', String(mf - 1));
    const buf = serialize(req);
    const tu: ClientTransactionUser = {
      onResponse: (_t, status, response) => this.onResponse(s, status, response as NetworkResponse),
      onFailure: (_t, status) => this.onFailure(s, status),
    };
    const buildAck = (response: unknown) => this.ackFor(req, branch, response as NetworkResponse);
    s.currentBranch = branch;
    s.current = this.ctx.tl.createClient(branch, req.method, peer, buf, tu, req.method === 'INVITE' ? buildAck : undefined);
  }

  private onResponse(s: ProxySession, status: number, res: NetworkResponse): void {
    if (s.done) return;
    const up: SipResponse = { ...res.msg, headers: res.msg.headers.clone() };
    up.headers.removeFirst('via');
    if (status < 200) {
      if (status > 100) s.rec.txn.respond(status, serialize(up));
      return;
    }
    const more = s.next < s.cmd.destinations.length && status >= 300 && status < 600;
    if (s.cmd.fullResponse) s.conn.reply(s.cmd.msgId, 'OK', proxyResponseData(this.meta(res)), res.raw.toString('utf8'));
    if (more) return this.next(s);
    s.rec.txn.respond(status, serialize(up));
    this.finish(s);
  }

  private onFailure(s: ProxySession, status: 408 | 503): void {
    if (s.done) return;
    if (s.next < s.cmd.destinations.length) return this.next(s);
    this.finish(s, status, status === 408 ? 'Request Timeout' : 'Service Unavailable');
  }

  private finish(s: ProxySession, status?: number, reason?: string): void {
    if (s.done) return;
    s.done = true;
    if (status && reason !== undefined) {
      s.rec.txn.respond(status, buildServerResponse(s.rec.req, s.rec.topVia, status, reason, generateTag()));
    } else if (status) {
      s.rec.txn.respond(status, buildServerResponse(s.rec.req, s.rec.topVia, status, 'Service Unavailable', generateTag()));
    }
    s.conn.reply(s.cmd.msgId, 'OK', 'done');
  }

  private cancelDownstream(s: ProxySession): void {
    if (s.done || !s.current || !s.currentBranch) return;
    s.next = s.cmd.destinations.length;
    const r = s.rec.req;
    const peer = s.current.peer;
    const local = this.ctx.local(peer.proto);
    const lines = [
      `CANCEL ${s.cmd.destinations[s.next - 1] ?? r.uri} SIP/2.0`,
      `Via: SIP/2.0/${peer.proto.toUpperCase()} ${local.hostport};rport;branch=${s.currentBranch}`,
      'Max-Forwards: 70',
      `From: ${r.headers.get('from') ?? ''}`,
      `To: ${r.headers.get('to') ?? ''}`,
      `Call-ID: ${r.headers.get('call-id') ?? ''}`,
      `CSeq: ${parseInt(r.headers.get('cseq') ?? '1', 10)} CANCEL`,
      'Content-Length: 0',
    ];
    const buf = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);
    this.ctx.tl.createClient(s.currentBranch, 'CANCEL', peer, buf, { onResponse: () => undefined, onFailure: () => undefined });
  }

  private ackFor(req: SipRequest, branch: string, res: NetworkResponse): Buffer {
    const peerVia = req.headers.get('via') ?? '';
    const lines = [
      `ACK ${req.uri} SIP/2.0`,
      `Via: ${peerVia.split(',')[0].replace(/branch=[^;,\s]+/, `branch=${branch}`)}`,
      'Max-Forwards: 70',
      `From: ${req.headers.get('from') ?? ''}`,
      `To: ${res.msg.headers.get('to') ?? ''}`,
      `Call-ID: ${req.headers.get('call-id') ?? ''}`,
      `CSeq: ${parseInt(req.headers.get('cseq') ?? '1', 10)} ACK`,
      'Content-Length: 0',
    ];
    return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);
  }

  private meta(res: NetworkResponse) {
    return {
      source: 'network' as const,
      bytes: res.raw.length,
      proto: res.source.proto,
      address: res.source.address,
      port: res.source.port,
      txnId: '',
      dialogId: '',
    };
  }
}
