import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseUri, parseVia, serialize, SipRequest, SipResponse } from '../sip/message';
import { splitHeaderList } from '../sip/sip-headers';
import type { RequestKeyParts } from '../transaction/transaction-layer';
import type { RemoteInfo } from '../transport/transport';
import type { EdgeContext } from './edge-context';
import { tagOf, uriOf } from './outgoing-message';
import type { ProxiedDialogs } from './proxied-dialogs';
import { hostPortOf, maxForwardsOf } from './proxy-rules';
import { resolveTarget, uriTarget } from './target-resolver';

/** The Via a stateless forward keeps below its own: `received` and `rport` always from the real source. */
function stampReceived(top: string, source: RemoteInfo): string {
  const v = splitHeaderList(top)[0] ?? '';
  const bare = v.replace(/;\s*(received|rport)(=[^;]*)?/gi, '');
  return `${bare};received=${source.address};rport=${source.port}`;
}

/**
 * The stateless half of the proxy (RFC 3261 §16.11): in-dialog requests of dialogs the edge Record-Routed
 * for an app's `proxyRequest`, and their responses. Forwarding is allowed only for those dialogs
 * ({@link ProxiedDialogs}) and only toward their parties; responses go back only to where the request came
 * from, carried in a branch only the edge can mint. Anything else would make the edge an open relay.
 */
export class StatelessForwarder {
  /** Keys the stateless branches, so a response can prove it answers a request we forwarded. */
  private readonly branchKey = randomBytes(32);

  constructor(
    private readonly ctx: EdgeContext,
    private readonly dialogs: ProxiedDialogs,
  ) {}

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
}
