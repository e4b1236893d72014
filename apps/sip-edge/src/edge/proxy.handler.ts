import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { generateBranch, generateTag, parseUri, parseVia, serialize, SipRequest, SipResponse } from '../sip/message';
import { splitHeaderList } from '../sip/sip-headers';
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
  /** Given up before any provisional came back: CANCEL it when one does (§9.1), and forward a late 2xx. */
  cancelOnProvisional?: boolean;
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
  /** To-tags of early dialogs recorded for this request (bounded: a downstream could send endless 18x tags). */
  earlyTags: Set<string>;
  /** The upstream CANCELled, a 6xx arrived or a 2xx was forwarded: no new branch is started. */
  stopped: boolean;
  done: boolean;
}

/** Max-Forwards of a request: 70 when absent (§16.6 step 3), 0 when unreadable (so it is refused with 483). */
function maxForwardsOf(req: SipRequest): number {
  const text = req.headers.get('max-forwards');
  if (text === undefined) return 70;
  return /^\s*\d{1,3}\s*$/.test(text) ? Math.min(255, parseInt(text, 10)) : 0;
}

/** `host:port` of a Contact or Route value, as requests are compared against a dialog's targets. */
function hostPortOf(value: string): string {
  const t = uriTarget(uriOf(value.split(',')[0]));
  return t ? `${t.host}:${t.port}` : '';
}

/** The Via a stateless forward keeps below its own: `received` and `rport` always from the real source. */
function stampReceived(top: string, source: RemoteInfo): string {
  const v = splitHeaderList(top)[0] ?? '';
  const bare = v.replace(/;\s*(received|rport)(=[^;]*)?/gi, '');
  return `${bare};received=${source.address};rport=${source.port}`;
}

/** Early dialogs (distinct To-tags on 1xx) tracked per proxied request. */
const MAX_EARLY_DIALOGS = 16;

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
    // Once the app has answered (even 1xx) it is a UAS for this request; drachtio no longer knows the txn id.
    if (!rec || rec.conn !== conn || rec.answered) return conn.reply(cmd.msgId, 'NOK', `Unknown transaction id: ${cmd.txnId}`);
    // Refused before anything changes, so the app can still answer the request itself.
    if (cmd.destinations.length === 0) return conn.reply(cmd.msgId, 'NOK', 'proxy request has no destination');
    this.ctx.removePending(rec);
    rec.answered = true;
    if (maxForwardsOf(rec.req) <= 0) {
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
    if (maxForwardsOf(upstream.req) <= 0) {
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
      earlyTags: new Set(),
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
   * with instead when it may not be forwarded: 481 if the dialog was not Record-Routed through us or the
   * request is not headed where that dialog leads (its next Route, or the other party's Contact), 483 when
   * Max-Forwards is spent.
   */
  forwardInDialog(req: SipRequest, source: RemoteInfo, viaHost: string, parts: RequestKeyParts): 'forwarded' | 481 | 483 {
    void viaHost;
    const out: SipRequest = { ...req, headers: req.headers.clone() };
    out.headers.removeFirst('route');
    const nextRoute = out.headers.get('route');
    const targetUri = nextRoute ? uriOf(nextRoute.split(',')[0]) : req.uri;
    const target = uriTarget(targetUri);
    if (!target || !this.dialogs.touch(parts.callId, parts.fromTag, parts.toTag, `${target.host}:${target.port}`)) {
      this.ctx.metrics.drops.inc({ reason: 'unknown-proxied-dialog' });
      return 481;
    }
    const mf = maxForwardsOf(req);
    if (mf <= 0) return 483;
    if (req.method === 'BYE') this.dialogs.ending(parts.callId, parts.fromTag, parts.toTag);
    // A target refresh from a party with no proxy between us: its requests now go to its new Contact.
    const contact = req.headers.get('contact');
    if (contact && (req.method === 'INVITE' || req.method === 'UPDATE')) this.dialogs.refreshTarget(parts.callId, parts.fromTag, parts.toTag, hostPortOf(contact));
    resolveTarget(targetUri).then((peer) => {
      if (!peer) return;
      const local = this.ctx.local(peer.proto);
      const stamped = stampReceived(out.headers.get('via') ?? '', source);
      out.headers.removeFirst('via');
      out.headers.prepend('Via', stamped);
      out.headers.prepend('Via', `SIP/2.0/${peer.proto.toUpperCase()} ${local.hostport};rport;branch=${this.statelessBranch(stamped, source)}`);
      out.headers.set('Max-Forwards', String(mf - 1));
      this.ctx.send(peer, serialize(out));
    }, (err: unknown) => this.ctx.logger.warn({ err }, 'stateless forward failed'));
    return 'forwarded';
  }

  /**
   * The branch of a request we forward statelessly: where its responses must go (the transport, address
   * and port it really came from) and a MAC over that and the Via below ours. Retransmissions get the same
   * branch (§16.11), and a response is passed back only to where the request came from: anyone can write
   * our address, a `received` or a transport into a Via, nobody else can compute this.
   */
  private statelessBranch(upstreamVia: string, source: { proto: string; address: string; port: number }): string {
    const where = Buffer.from(`${source.proto}|${source.address}|${source.port}`).toString('base64url');
    return `z9hG4bK-sl${where}.${this.branchMac(upstreamVia, where)}`;
  }

  private branchMac(upstreamVia: string, where: string): string {
    return createHmac('sha256', this.branchKey).update(`${where}\0${upstreamVia.trim()}`).digest('base64url').slice(0, 22);
  }

  /**
   * A response to a request we forwarded statelessly: its top Via is ours with a branch we minted, which
   * names where the request came from. Any other response without a transaction is dropped, so a forged
   * Via chain cannot make us send it, or open a connection, to a host of the sender's choice.
   */
  forwardResponse(msg: SipResponse): boolean {
    const vias = msg.headers.getValues('via');
    if (vias.length < 2) return false;
    const via = parseVia(vias[0]);
    const m = /^z9hG4bK-sl([A-Za-z0-9_-]{1,200})\.([A-Za-z0-9_-]{22})$/.exec(via?.branch ?? '');
    if (!via || !m || !this.ctx.isSelf(via.host, via.port ?? 5060)) return false;
    const expected = Buffer.from(this.branchMac(vias[1], m[1]));
    const given = Buffer.from(m[2]);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return false;
    const [proto, address, port] = Buffer.from(m[1], 'base64url').toString().split('|');
    const out: SipResponse = { ...msg, headers: msg.headers.clone() };
    out.headers.removeFirst('via');
    const cseq = msg.headers.get('cseq') ?? '';
    const contact = msg.headers.get('contact');
    if (msg.status >= 200 && msg.status < 300 && contact && /\s(INVITE|UPDATE)\s*$/i.test(cseq)) {
      // The answering party refreshed its target (§12.2.1.2): requests to it go to the new Contact.
      const fromTag = tagOf(msg.headers.get('from'));
      const toTag = tagOf(msg.headers.get('to'));
      this.dialogs.refreshTarget(msg.headers.get('call-id') ?? '', toTag, fromTag, hostPortOf(contact));
    }
    this.ctx.send({ proto: proto as RemoteInfo['proto'], address, port: Number(port) }, serialize(out));
    return true;
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
    req.headers.set('Max-Forwards', String(maxForwardsOf(s.rec.req) - 1));
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
        b.cancelOnProvisional = true;
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
      if (b.cancelOnProvisional) {
        // Given up on while silent: now that it answers, it can be CANCELled (§9.1).
        b.cancelOnProvisional = false;
        return this.sendCancel(s, b);
      }
      // 1xx are forwarded at once (§16.7 step 5); 100 is hop-by-hop.
      if (!s.done && status > 100 && s.active.has(b)) s.rec.txn.respond(status, serialize(up));
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
    if (status >= 300) return this.dialogs.failed(callId, fromTag, toTag);
    if (status <= 100) return;
    if (status < 200 && !s.earlyTags.has(toTag)) {
      if (s.earlyTags.size >= MAX_EARLY_DIALOGS) return;
      s.earlyTags.add(toTag);
    }
    // Our Record-Route among the response's: entries before it are the callee's side, after it the caller's.
    const rr = msg.headers.getValues('record-route');
    const ours = rr.findIndex((r) => {
      const t = uriTarget(uriOf(r));
      return !!t && this.ctx.isSelf(t.host, t.port);
    });
    if (ours < 0) return;
    const callee = ours > 0 ? hostPortOf(rr[ours - 1]) : hostPortOf(msg.headers.get('contact') ?? '');
    const caller = ours + 1 < rr.length ? hostPortOf(rr[ours + 1]) : hostPortOf(s.rec.req.headers.get('contact') ?? '');
    const targets = new Map([
      [toTag, { hostPort: callee, viaRoute: ours > 0 }],
      [fromTag, { hostPort: caller, viaRoute: ours + 1 < rr.length }],
    ]);
    this.dialogs.established(callId, fromTag, toTag, status >= 200, targets);
  }

  private onFailure(s: ProxySession, b: ProxyBranch, status: 408 | 503): void {
    if (s.done || !s.active.has(b)) return;
    this.endBranch(s, b, status);
    // Ringing past Timer C (§16.8): CANCEL it, and do not ring another address of it behind its back.
    if (b.provisional) this.sendCancel(s, b);
    // The next address of the same destination (a lower-priority SRV target, another A record), only if
    // this one never answered at all (RFC 3263 §4.3).
    else if (b.spares.length > 0 && !s.stopped) return this.attempt(s, b.uri, b.spares[0], b.spares.slice(1));
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
   * is given up now and CANCELled when its first provisional arrives (§9.1: a CANCEL must not overtake
   * the INVITE); a 2xx it sends meanwhile is still forwarded upstream.
   */
  private cancelActive(s: ProxySession): void {
    for (const b of [...s.active]) {
      if (!b.provisional) {
        this.endBranch(s, b, 487);
        b.cancelOnProvisional = true;
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
