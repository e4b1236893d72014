import { generateBranch, generateTag, serialize, SipRequest, SipResponse } from '../sip/message';
import type { ClientTransactionUser } from '../transaction/client-transaction';
import type { AppConnection, AppProxyCommand } from '../wire/app-connection';
import { proxyResponseData } from '../wire/wire-format';
import type { NetworkResponse } from './client-response.relay';
import type { EdgeContext } from './edge-context';
import { tagOf, uriOf } from './outgoing-message';
import { cancelInvite, non2xxAck, type InviteSent } from './cancel-request';
import type { ProxyBranch, ProxyOptions, ProxySession, ProxyUpstream } from './proxy-session';
import { ProxiedDialogs } from './proxied-dialogs';
import { buildServerResponse } from './response-builder';
import { resolveTargets, uriTarget } from './target-resolver';
import { hostPortOf, MAX_EARLY_DIALOGS, MAX_REDIRECTS, maxForwardsOf, parseProxyTimeout, responseRank } from './proxy-rules';
import type { SipPeer } from '../transaction/transaction-types';

export class ProxyHandler {
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
    for (const b of s.failed) if (b.response && (!best || responseRank(b.status) < responseRank(best.status))) best = b;
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
    const via = `SIP/2.0/${peer.proto.toUpperCase()} ${local.hostport};rport;branch=${branch}`;
    if (s.opts.remainInDialog) req.headers.prepend('Record-Route', `<sip:${local.hostport};lr>`);
    req.headers.prepend('Via', via);
    req.headers.set('Max-Forwards', String(maxForwardsOf(s.rec.req) - 1));
    const buf = serialize(req);
    const up = s.rec.req.headers;
    const sent: InviteSent = {
      uri: dest,
      via,
      routes: [],
      from: up.get('from') ?? '',
      to: up.get('to') ?? '',
      callId: up.get('call-id') ?? '',
      cseq: parseInt(up.get('cseq') ?? '1', 10),
      peer,
    };
    const b = { uri: dest, branch, sent, provisional: false, spares, status: 0 } as ProxyBranch;
    const tu: ClientTransactionUser = {
      onResponse: (_t, status, response) => this.onResponse(s, b, status, response as NetworkResponse),
      onFailure: (_t, status) => this.onFailure(s, b, status),
    };
    const buildAck = (response: unknown) => non2xxAck(sent, (response as NetworkResponse).msg.headers.get('to'));
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
        cancelInvite(this.ctx, b.sent);
        return;
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
    if (b.provisional) cancelInvite(this.ctx, b.sent);
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
      cancelInvite(this.ctx, b.sent);
    }
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
