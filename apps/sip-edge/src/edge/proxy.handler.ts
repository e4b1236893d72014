import { createHmac, randomBytes } from 'node:crypto';
import { generateBranch, generateTag, parseUri, parseVia, serialize, SipRequest, SipResponse } from '../sip/message';
import type { ClientTransaction, ClientTransactionUser } from '../transaction/client-transaction';
import type { RemoteInfo } from '../transport/transport';
import type { AppConnection, AppProxyCommand } from '../wire/app-connection';
import { proxyResponseData } from '../wire/wire-format';
import type { NetworkResponse } from './client-response.relay';
import type { EdgeContext, ServerRequestRecord } from './edge-context';
import { tagOf } from './outgoing-message';
import { ProxiedDialogs } from './proxied-dialogs';
import { buildServerResponse } from './response-builder';
import { resolveTarget, uriTarget } from './target-resolver';
import type { RequestKeyParts } from '../transaction/transaction-layer';

/** State of one `proxy` command: the upstream server transaction and the downstream attempts. */
interface ProxySession {
  rec: ServerRequestRecord;
  cmd: AppProxyCommand;
  conn: AppConnection;
  next: number;
  /** The attempt in progress, if any (unset between a failed attempt and the next one). */
  current?: ClientTransaction;
  currentBranch?: string;
  currentUri?: string;
  /** The upstream CANCELled: no further destination is tried. */
  cancelled?: boolean;
  /** The last final failure from downstream, relayed if no destination is left to try. */
  lastFinal?: { status: number; response: SipResponse };
  done: boolean;
}

/**
 * srf's proxyRequest (§3.5): forwards the request to each destination in turn (serial), relays
 * provisional and final responses upstream, and reports final responses to the app (`continue`, then
 * `done`). With remainInDialog it Record-Routes; later in-dialog requests carrying our Route are
 * forwarded statelessly (RFC 3261 §16.11), as are their responses, but only for dialogs that were set
 * up through us ({@link ProxiedDialogs}) and only responses whose branch we minted ({@link statelessBranch}):
 * anything else would make the edge an open relay.
 */
export class ProxyHandler {
  /** Keys the stateless branches, so a response can prove it answers a request we forwarded. */
  private readonly branchKey = randomBytes(32);

  constructor(
    private readonly ctx: EdgeContext,
    readonly dialogs = new ProxiedDialogs(),
  ) {}

  handle(conn: AppConnection, cmd: AppProxyCommand): void {
    const rec = this.ctx.pendingServer.get(cmd.txnId);
    // Only the app that was given the request may proxy it.
    if (!rec || rec.conn !== conn) return conn.reply(cmd.msgId, 'NOK', `Unknown transaction id: ${cmd.txnId}`);
    // Refused before anything changes, so the app can still answer the request itself.
    if (cmd.destinations.length === 0) return conn.reply(cmd.msgId, 'NOK', 'proxy request has no destination');
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

  /**
   * Stateless forwarding of an in-dialog request whose top Route is us. Returns the status to answer
   * with instead when it may not be forwarded: 481 if the dialog was not Record-Routed through us,
   * 483 when Max-Forwards is spent.
   */
  forwardInDialog(req: SipRequest, source: RemoteInfo, viaHost: string, parts: RequestKeyParts): 'forwarded' | 481 | 483 {
    if (!this.dialogs.touch(parts.callId, parts.fromTag, parts.toTag)) {
      this.ctx.metrics.drops.inc({ reason: 'unknown-proxied-dialog' });
      return 481;
    }
    const mf = parseInt(req.headers.get('max-forwards') ?? '70', 10);
    if (mf <= 0) return 483;
    if (req.method === 'BYE') this.dialogs.ending(parts.callId, parts.fromTag, parts.toTag);
    const out: SipRequest = { ...req, headers: req.headers.clone() };
    out.headers.removeFirst('route');
    const nextRoute = out.headers.get('route');
    const targetUri = nextRoute ? nextRoute.replace(/^.*?<([^>]*)>.*$/, '$1') : req.uri;
    resolveTarget(targetUri).then((peer) => {
      if (!peer) return;
      const local = this.ctx.local(peer.proto);
      const top = out.headers.get('via') ?? '';
      const stamped = this.stamp(top, viaHost, source);
      out.headers.removeFirst('via');
      out.headers.prepend('Via', stamped);
      out.headers.prepend('Via', `SIP/2.0/${peer.proto.toUpperCase()} ${local.hostport};rport;branch=${this.statelessBranch(stamped)}`);
      out.headers.set('Max-Forwards', String(mf - 1));
      this.ctx.send(peer, serialize(out));
    }, (err: unknown) => this.ctx.logger.warn({ err }, 'stateless forward failed'));
    return 'forwarded';
  }

  /**
   * The branch of a request we forward statelessly: a MAC of the Via we forward it with, so that
   * retransmissions get the same branch (§16.11) and a response can only be passed back to that Via if we
   * really sent the request. Anyone can write our address in a Via; nobody else can compute this.
   */
  private statelessBranch(upstreamVia: string): string {
    return `z9hG4bK-sl${createHmac('sha256', this.branchKey).update(upstreamVia.trim()).digest('base64url').slice(0, 22)}`;
  }

  /** Tries the next destination; a failure there ends the proxy with 503 instead of an unhandled rejection. */
  private next(s: ProxySession): void {
    this.tryNext(s).catch((err: unknown) => {
      this.ctx.logger.warn({ err }, 'proxy attempt failed');
      this.finish(s, 503, 'Service Unavailable');
    });
  }

  /**
   * A response to a request we forwarded statelessly: its top Via is ours with a branch we minted for
   * the Via below it, which is where it goes next. Any other response without a transaction is dropped
   * (a forged second Via must not make us send it, or open a connection, to a host of the sender's choice).
   */
  forwardResponse(msg: SipResponse): boolean {
    const vias = msg.headers.getValues('via');
    if (vias.length < 2) return false;
    const via = parseVia(vias[0]);
    if (!via?.branch || !this.ctx.isSelf(via.host, via.port ?? 5060)) return false;
    if (via.branch !== this.statelessBranch(vias[1])) return false;
    const next = parseVia(vias[1]);
    if (!next) return false;
    const out: SipResponse = { ...msg, headers: msg.headers.clone() };
    out.headers.removeFirst('via');
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
    for (;;) {
      if (s.done) return;
      if (s.cancelled) return this.finish(s, 487, 'Request Terminated');
      const dest = s.cmd.destinations[s.next++];
      if (dest === undefined) {
        if (!s.lastFinal) return this.finish(s, 503);
        s.rec.txn.respond(s.lastFinal.status, serialize(s.lastFinal.response));
        return this.finish(s);
      }
      const target = uriTarget(dest);
      // A destination that is not a SIP URI, or is the edge itself (a loop), is skipped like a failed one.
      if (!target || this.ctx.isSelf(target.host, target.port)) {
        this.ctx.logger.warn({ destination: dest.slice(0, 200) }, 'proxy destination skipped: not a SIP URI or points at the edge');
        continue;
      }
      const peer = await resolveTarget(dest);
      if (!peer || s.done || s.cancelled) continue;
      return this.attempt(s, dest, peer);
    }
  }

  private attempt(s: ProxySession, dest: string, peer: NonNullable<Awaited<ReturnType<typeof resolveTarget>>>): void {
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
    s.currentUri = dest;
    s.current = this.ctx.tl.createClient(branch, req.method, peer, buf, tu, req.method === 'INVITE' ? buildAck : undefined);
  }

  private onResponse(s: ProxySession, status: number, res: NetworkResponse): void {
    const up: SipResponse = { ...res.msg, headers: res.msg.headers.clone() };
    up.headers.removeFirst('via');
    if (s.done) {
      // RFC 6026 §7.2: retransmitted 2xx of an accepted INVITE are passed upstream (our first may be lost).
      if (status >= 200 && status < 300 && s.rec.req.method === 'INVITE') s.rec.txn.respond(status, serialize(up));
      return;
    }
    if (s.cmd.remainInDialog) this.trackDialog(s, status, res.msg);
    if (status < 200) {
      if (status > 100) s.rec.txn.respond(status, serialize(up));
      return;
    }
    s.current = undefined;
    const more = !s.cancelled && s.next < s.cmd.destinations.length && status >= 300 && status < 600;
    if (s.cmd.fullResponse) s.conn.reply(s.cmd.msgId, 'OK', proxyResponseData(this.meta(res)), res.raw.toString('utf8'));
    if (more) {
      s.lastFinal = { status, response: up };
      return this.next(s);
    }
    s.rec.txn.respond(status, serialize(up));
    this.finish(s);
  }

  /** A dialog-creating request that Record-Routed through us got a 1xx with a To-tag, a 2xx or a failure. */
  private trackDialog(s: ProxySession, status: number, msg: SipResponse): void {
    const method = s.rec.req.method;
    if (method !== 'INVITE' && method !== 'SUBSCRIBE') return;
    if (tagOf(s.rec.req.headers.get('to'))) return; // a re-INVITE: the dialog is known already
    const callId = msg.headers.get('call-id') ?? '';
    const fromTag = tagOf(msg.headers.get('from'));
    const toTag = tagOf(msg.headers.get('to'));
    if (status > 100 && status < 300) this.dialogs.established(callId, fromTag, toTag, status >= 200);
    else if (status >= 300) this.dialogs.failed(callId, fromTag, toTag);
  }

  private onFailure(s: ProxySession, status: 408 | 503): void {
    if (s.done) return;
    s.current = undefined;
    if (!s.cancelled && s.next < s.cmd.destinations.length) return this.next(s);
    if (s.lastFinal) {
      s.rec.txn.respond(s.lastFinal.status, serialize(s.lastFinal.response));
      return this.finish(s);
    }
    this.finish(s, status, status === 408 ? 'Request Timeout' : 'Service Unavailable');
  }

  /** Ends the session: answers upstream with `status` if given (else it was answered already), `done` to the app. */
  private finish(s: ProxySession, status?: number, reason = 'Service Unavailable'): void {
    if (s.done) return;
    s.done = true;
    if (status) s.rec.txn.respond(status, buildServerResponse(s.rec.req, s.rec.topVia, status, reason, generateTag()));
    s.conn.reply(s.cmd.msgId, 'OK', 'done');
  }

  /** The upstream CANCELled: CANCEL the attempt in progress (its 487 comes back up), or end here if none is. */
  private cancelDownstream(s: ProxySession): void {
    if (s.done || s.cancelled) return;
    s.cancelled = true;
    if (!s.current || !s.currentBranch || !s.currentUri) return this.finish(s, 487, 'Request Terminated');
    const r = s.rec.req;
    const peer = s.current.peer;
    const local = this.ctx.local(peer.proto);
    const lines = [
      `CANCEL ${s.currentUri} SIP/2.0`,
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
