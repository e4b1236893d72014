import { createHmac, randomBytes } from 'node:crypto';
import { generateBranch, generateTag, parseUri, parseVia, serialize, SipRequest, SipResponse } from '../sip/message';
import type { ClientTransaction, ClientTransactionUser } from '../transaction/client-transaction';
import type { RemoteInfo } from '../transport/transport';
import type { AppConnection, AppProxyCommand } from '../wire/app-connection';
import { proxyResponseData } from '../wire/wire-format';
import type { NetworkResponse } from './client-response.relay';
import type { EdgeContext } from './edge-context';
import type { ServerTransaction } from '../transaction/server-transaction';
import { tagOf, uriOf } from './outgoing-message';
import { ProxiedDialogs } from './proxied-dialogs';
import { buildServerResponse } from './response-builder';
import { resolveTarget, resolveTargets, uriTarget } from './target-resolver';
import type { RequestKeyParts } from '../transaction/transaction-layer';
import type { TimerHandle } from '../transaction/timer-wheel';
import type { SipPeer } from '../transaction/transaction-types';

/** One downstream attempt of a `proxy` command (a client transaction to one destination). */
interface ProxyBranch {
  uri: string;
  branch: string;
  txn: ClientTransaction;
  provisional: boolean;
  /** Further addresses of the same destination (RFC 3263 §4.3), tried if this one times out or fails. */
  spares: SipPeer[];
  /** Final status, once one arrived (or 408/503 for a local failure). */
  status: number;
  response?: SipResponse;
  provisionalTimer?: TimerHandle;
}

/** The upstream side of a proxy session: an app's pending request, or one an HTTP handler said to proxy. */
export interface ProxyUpstream {
  req: SipRequest;
  txn: ServerTransaction;
  topVia: string;
  /** Called by the CANCEL handler when the upstream CANCELs. */
  onCancel?: () => void;
}

interface ProxyOptions {
  destinations: readonly string[];
  remainInDialog: boolean;
  followRedirects: boolean;
  simultaneous: boolean;
  provisionalTimeout: string;
}

/** State of one proxy operation: the upstream server transaction and the downstream branches. */
interface ProxySession {
  rec: ProxyUpstream;
  opts: ProxyOptions;
  /** The app that sent the `proxy` command, told of final responses (`continue`) and of the end (`done`). */
  app?: { conn: AppConnection; msgId: string; fullResponse: boolean };
  /** Destinations not tried yet (3xx Contacts are inserted here with followRedirects). */
  queue: string[];
  /** Branches still waiting for a final response. */
  active: Set<ProxyBranch>;
  /** Branches that ended with a final failure, candidates for the best response (§16.7 step 6). */
  failed: ProxyBranch[];
  provisionalTimeoutMs: number;
  redirects: number;
  /** Destinations being resolved right now: the session cannot end while one may still start a branch. */
  resolving: number;
  /** The upstream CANCELled, a 6xx arrived or a 2xx was forwarded: no new branch is started. */
  stopped: boolean;
  done: boolean;
}

/** 3xx Contacts followed per proxy command, so a redirect loop cannot fan out without end. */
const MAX_REDIRECTS = 10;

/** drachtio's timeout syntax (`ProxyCore::setProvisionalTimeout`): `<n>ms` or `<n>s`; anything else is none. */
export function parseProxyTimeout(text: string): number {
  const m = /^(\d{1,9})(ms|s)$/.exec(text);
  if (!m) return 0;
  return m[2] === 's' ? Number(m[1]) * 1000 : Number(m[1]);
}

/** RFC 3261 §16.7 step 6 as drachtio orders it (`bestResponseOrder`): 6xx, then 401/407/415/420/484, 4xx, 5xx, the rest. */
function rank(status: number): number {
  if (status >= 600) return 0;
  if ([401, 407, 415, 420, 484].includes(status)) return 1;
  if (status >= 400 && status < 500) return 2;
  if (status >= 500 && status < 600) return 3;
  return 4;
}

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
    this.start(rec, cmd, { conn, msgId: cmd.msgId, fullResponse: cmd.fullResponse });
  }

  /**
   * An HTTP request handler answered `proxy` for a new request (drachtio `processProxyInstruction`): the same
   * proxy core with no app to report to.
   */
  startWithoutApp(upstream: ProxyUpstream, d: ProxyOptions): void {
    upstream.txn.context = upstream;
    const maxForwards = parseInt(upstream.req.headers.get('max-forwards') ?? '70', 10);
    if (maxForwards <= 1) {
      upstream.txn.respond(483, buildServerResponse(upstream.req, upstream.topVia, 483, 'Too Many Hops', generateTag()));
      return;
    }
    this.start(upstream, d);
  }

  private start(rec: ProxyUpstream, opts: ProxyOptions, app?: ProxySession['app']): void {
    const session: ProxySession = {
      rec,
      opts,
      app,
      queue: [...opts.destinations],
      active: new Set(),
      failed: [],
      provisionalTimeoutMs: parseProxyTimeout(opts.provisionalTimeout),
      redirects: 0,
      resolving: 0,
      stopped: false,
      done: false,
    };
    rec.onCancel = () => this.onUpstreamCancel(session);
    this.launch(session);
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

  /** Starts the next branch (serial) or every remaining one (simultaneous); ends the session if none is left. */
  private launch(s: ProxySession): void {
    this.startBranches(s).catch((err: unknown) => {
      this.ctx.logger.warn({ err }, 'proxy attempt failed');
      this.settle(s);
    });
  }

  private async startBranches(s: ProxySession): Promise<void> {
    while (!s.done && !s.stopped && s.queue.length > 0 && (s.opts.simultaneous || s.active.size === 0)) {
      const dest = s.queue.shift() as string;
      const target = uriTarget(dest);
      // A destination that is not a SIP URI, or is the edge itself (a loop), is skipped like a failed one.
      if (!target || this.ctx.isSelf(target.host, target.port)) {
        this.ctx.logger.warn({ destination: dest.slice(0, 200) }, 'proxy destination skipped: not a SIP URI or points at the edge');
        continue;
      }
      s.resolving++;
      const peers = await resolveTargets(dest).finally(() => s.resolving--);
      if (peers.length === 0 || s.done || s.stopped) continue;
      this.attempt(s, dest, peers[0], peers.slice(1));
    }
    this.settle(s);
  }

  /** Nothing running and nothing left to try: forward the best final response, 408 if there is none. */
  private settle(s: ProxySession): void {
    if (s.done || s.active.size > 0 || s.resolving > 0) return;
    if (!s.stopped && s.queue.length > 0) return this.launch(s);
    let best: ProxyBranch | undefined;
    for (const b of s.failed) if (b.response && (!best || rank(b.status) < rank(best.status))) best = b;
    if (best?.response) {
      s.rec.txn.respond(best.status, serialize(best.response));
      return this.finish(s);
    }
    if (s.stopped && s.rec.req.method === 'INVITE') return this.finish(s, 487, 'Request Terminated');
    // No response at all: 408 if a destination timed out (drachtio's answer), 503 if none could be reached.
    if (s.failed.some((b) => b.status === 408)) return this.finish(s, 408, 'Request Timeout');
    this.finish(s, 503, 'Service Unavailable');
  }

  private attempt(s: ProxySession, dest: string, peer: SipPeer, spares: SipPeer[]): void {
    const local = this.ctx.local(peer.proto);
    const req: SipRequest = { ...s.rec.req, uri: dest, headers: s.rec.req.headers.clone() };
    if (s.rec.topVia) {
      req.headers.removeFirst('via');
      req.headers.prepend('Via', s.rec.topVia);
    }
    const branch = generateBranch();
    if (s.opts.remainInDialog) req.headers.prepend('Record-Route', `<sip:${local.hostport};lr>`);
    req.headers.prepend('Via', `SIP/2.0/${peer.proto.toUpperCase()} ${local.hostport};rport;branch=${branch}`);
    const mf = parseInt(req.headers.get('max-forwards') ?? '70', 10);
    req.headers.set('Max-Forwards', String(mf - 1));
    const buf = serialize(req);
    const b = { uri: dest, branch, provisional: false, spares, status: 0 } as ProxyBranch;
    const tu: ClientTransactionUser = {
      onResponse: (_t, status, response) => this.onResponse(s, b, status, response as NetworkResponse),
      onFailure: (_t, status) => this.onFailure(s, b, status),
    };
    const buildAck = (response: unknown) => this.ackFor(req, branch, response as NetworkResponse);
    s.active.add(b);
    b.txn = this.ctx.tl.createClient(branch, req.method, peer, buf, tu, req.method === 'INVITE' ? buildAck : undefined);
    if (s.provisionalTimeoutMs > 0 && req.method === 'INVITE') {
      // drachtio `timerProvisional`: no provisional in time, give up on this destination and try the next.
      b.provisionalTimer = this.ctx.tl.wheel.schedule(s.provisionalTimeoutMs, () => {
        if (b.provisional || !s.active.has(b)) return;
        this.endBranch(s, b, 408);
        s.failed.push(b);
        b.txn.terminate();
        this.settle(s);
      });
    }
  }

  private onResponse(s: ProxySession, b: ProxyBranch, status: number, res: NetworkResponse): void {
    const up: SipResponse = { ...res.msg, headers: res.msg.headers.clone() };
    up.headers.removeFirst('via');
    const invite = s.rec.req.method === 'INVITE';
    if (s.opts.remainInDialog) this.trackDialog(s, status, res.msg);
    if (status < 200) {
      b.provisional = true;
      b.provisionalTimer?.cancel();
      // 1xx are forwarded at once (§16.7 step 5); 100 is hop-by-hop.
      if (!s.done && status > 100) s.rec.txn.respond(status, serialize(up));
      return;
    }
    if (status < 300) {
      // Every 2xx to an INVITE goes upstream, from any branch and retransmissions too (§16.7, RFC 6026 §7.2).
      if (s.done) {
        if (invite) s.rec.txn.respond(status, serialize(up));
        return;
      }
      this.endBranch(s, b, status);
      this.report(s, res);
      s.rec.txn.respond(status, serialize(up));
      s.stopped = true;
      this.cancelActive(s);
      return this.finish(s);
    }
    if (s.done || !s.active.has(b)) return;
    this.endBranch(s, b, status);
    b.response = up;
    s.failed.push(b);
    this.report(s, res);
    if (status < 400 && s.opts.followRedirects && !s.stopped) {
      const contacts = res.msg.headers.getValues('contact').map((c) => uriOf(c)).filter(Boolean);
      const room = Math.max(0, MAX_REDIRECTS - s.redirects);
      s.redirects += Math.min(room, contacts.length);
      s.queue.unshift(...contacts.slice(0, room));
    }
    if (status >= 600) {
      // §16.7 step 5: a 6xx ends the search; pending branches are CANCELled.
      s.stopped = true;
      this.cancelActive(s);
    }
    this.settle(s);
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

  private onFailure(s: ProxySession, b: ProxyBranch, status: 408 | 503): void {
    if (s.done || !s.active.has(b)) return;
    this.endBranch(s, b, status);
    // The next address of the same destination (a lower-priority SRV target, another A record).
    if (b.spares.length > 0 && !s.stopped) return this.attempt(s, b.uri, b.spares[0], b.spares.slice(1));
    s.failed.push(b);
    this.settle(s);
  }

  private endBranch(s: ProxySession, b: ProxyBranch, status: number): void {
    b.status = status;
    b.provisionalTimer?.cancel();
    s.active.delete(b);
  }

  /** Ends the session: answers upstream with `status` if given (else it was answered already), `done` to the app. */
  private finish(s: ProxySession, status?: number, reason = 'Service Unavailable'): void {
    if (s.done) return;
    s.done = true;
    s.rec.onCancel = undefined;
    if (status) s.rec.txn.respond(status, buildServerResponse(s.rec.req, s.rec.topVia, status, reason, generateTag()));
    s.app?.conn.reply(s.app.msgId, 'OK', 'done');
  }

  /** A final response from downstream, for an app that asked for full responses (`…|continue`). */
  private report(s: ProxySession, res: NetworkResponse): void {
    if (s.app?.fullResponse) s.app.conn.reply(s.app.msgId, 'OK', proxyResponseData(this.meta(res)), res.raw.toString('utf8'));
  }

  /** The upstream CANCELled: CANCEL every branch in progress (their 487s come back up), or end here if none is. */
  private onUpstreamCancel(s: ProxySession): void {
    if (s.done || s.stopped) return;
    s.stopped = true;
    s.queue.length = 0;
    this.cancelActive(s);
    this.settle(s);
  }

  /**
   * CANCELs branches still waiting for a final response (§16.10). One that has not had a provisional yet
   * is ended quietly instead (§9.1: a CANCEL must not overtake the INVITE), without waiting for its answer.
   */
  private cancelActive(s: ProxySession): void {
    for (const b of [...s.active]) {
      if (!b.provisional) {
        this.endBranch(s, b, 487);
        b.txn.terminate();
        continue;
      }
      this.sendCancel(s, b);
    }
  }

  private sendCancel(s: ProxySession, b: ProxyBranch): void {
    const r = s.rec.req;
    const peer = b.txn.peer;
    const local = this.ctx.local(peer.proto);
    const lines = [
      `CANCEL ${b.uri} SIP/2.0`,
      `Via: SIP/2.0/${peer.proto.toUpperCase()} ${local.hostport};rport;branch=${b.branch}`,
      'Max-Forwards: 70',
      `From: ${r.headers.get('from') ?? ''}`,
      `To: ${r.headers.get('to') ?? ''}`,
      `Call-ID: ${r.headers.get('call-id') ?? ''}`,
      `CSeq: ${parseInt(r.headers.get('cseq') ?? '1', 10)} CANCEL`,
      'Content-Length: 0',
    ];
    const buf = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);
    this.ctx.tl.createClient(b.branch, 'CANCEL', peer, buf, { onResponse: () => undefined, onFailure: () => undefined });
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
