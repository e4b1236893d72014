import { generateTag, parseVia, SipRequest } from '../sip/message';
import type { RequestKeyParts } from '../transaction/transaction-layer';
import type { RemoteInfo } from '../transport/transport';
import { newId } from '../wire/wire-format';
import type { EdgeContext, ServerRequestRecord } from './edge-context';
import { buildServerResponse } from './response-builder';
import { tagOf } from './outgoing-message';
import { fastViaKey, stampTopVia, type ViaKey } from './via-stamp';
import type { CancelHandler } from './cancel.handler';
import type { ProxyHandler } from './proxy.handler';
import type { ProxyUpstream } from './proxy-session';
import type { StatelessForwarder } from './stateless-forwarder';
import type { OutboundConnector } from './outbound-connector';
import type { ServerTransaction } from '../transaction/server-transaction';
import type { AppConnection } from '../wire/app-connection';

function slowViaKey(value: string): ViaKey | undefined {
  const v = parseVia(value);
  return v ? { host: v.host, port: v.port ?? 5060, branch: v.branch ?? '' } : undefined;
}

/** Methods that cannot start a dialog-less transaction here: drachtio answers them 481 (§10.11). */
const NEEDS_DIALOG = new Set(['BYE', 'UPDATE', 'PRACK']);

/** The only methods drachtio hands to an app outside a dialog; others (REFER …) get no answer (§10.11). */
const NEW_REQUEST_METHODS = new Set(['INVITE', 'REGISTER', 'MESSAGE', 'OPTIONS', 'INFO', 'NOTIFY', 'SUBSCRIBE', 'PUBLISH']);

/** Requests from the network: transaction matching, then hand-off to the app that should see them. */
export class NetworkRequestHandler {
  constructor(
    private readonly ctx: EdgeContext,
    private readonly cancels: CancelHandler,
    private readonly proxy: ProxyHandler,
    private readonly forwarder: StatelessForwarder,
    private readonly outbound?: OutboundConnector,
  ) {}

  handle(req: SipRequest, raw: Buffer, source: RemoteInfo): void {
    const topVia = req.headers.get('via');
    const via = topVia ? (fastViaKey(topVia) ?? slowViaKey(topVia)) : undefined;
    const callId = req.headers.get('call-id');
    const cseqText = req.headers.get('cseq');
    if (!via || !callId || !cseqText) return this.ctx.metrics.drops.inc({ reason: 'malformed' });
    const parts: RequestKeyParts = {
      method: req.method,
      branch: via.branch,
      sentBy: `${via.host}:${via.port}`,
      callId,
      fromTag: tagOf(req.headers.get('from')),
      toTag: tagOf(req.headers.get('to')),
      cseq: parseInt(cseqText, 10),
    };
    const match = this.ctx.tl.matchRequest(parts);
    switch (match.kind) {
      case 'retransmission':
        return match.txn.onRequestRetransmission();
      case 'ack':
        if (match.txn.onAck()) return;
        break;
      case 'merged':
        return this.stateless(req, raw, source, via.host, 482, 'Loop Detected');
      case 'overloaded':
        this.ctx.metrics.drops.inc({ reason: 'overload' });
        return this.stateless(req, raw, source, via.host, 503, 'Service Unavailable');
      case 'cancel':
        return this.cancels.onNetworkCancel(req, raw, source, via.host, parts, match.invite);
      default:
        break;
    }
    // Our Route on a request of a dialog the edge proxied (an app's own dialogs may Record-Route us too).
    if (parts.toTag && this.forwarder.isRoutedThroughUs(req) && !this.ctx.dialogs.match(callId, parts.fromTag, parts.toTag)) {
      const outcome = this.forwarder.forwardInDialog(req, source, via.host, parts);
      if (outcome === 481) return this.stateless(req, raw, source, via.host, 481, 'Call/Transaction Does Not Exist');
      if (outcome === 483) return this.stateless(req, raw, source, via.host, 483, 'Too Many Hops');
      return;
    }
    if (req.method === 'ACK') return this.onAck(raw, source, via.host, parts);
    if (parts.toTag) return this.inDialog(req, raw, source, via.host, parts);
    if (NEEDS_DIALOG.has(req.method)) return this.stateless(req, raw, source, via.host, 481, 'Call/Transaction Does Not Exist');
    if (!NEW_REQUEST_METHODS.has(req.method)) return this.ctx.metrics.drops.inc({ reason: 'method' });
    // An INVITE without To-tag for a dialog that is already up (drachtio processRequestInsideDialog).
    if (req.method === 'INVITE' && this.ctx.dialogs.confirmedUas(callId, parts.fromTag)) {
      return this.stateless(req, raw, source, via.host, 491, 'Request Pending');
    }
    const txn = this.ctx.tl.createServer(parts, source);
    const { text, topVia: stamped } = stampTopVia(raw.toString('utf8'), via.host, source);
    if (req.method === 'INVITE') txn.respond(100, buildServerResponse(req, stamped, 100, 'Trying', ''));
    if (this.outbound?.handles(req.method)) {
      // A CANCEL while the handler is being asked (or the app connected) ends the INVITE here, and the
      // answer, when it comes, is dropped.
      let cancelled = false;
      txn.context = {
        req,
        txn,
        topVia: stamped,
        onCancel: () => {
          cancelled = true;
          txn.respond(487, buildServerResponse(req, stamped, 487, 'Request Terminated', generateTag()));
        },
      } satisfies ProxyUpstream;
      return this.outbound.route(req, raw, source, {
        isCancelled: () => cancelled,
        toApp: (conn) => this.relayNew(req, raw, source, txn, text, stamped, conn),
        respond: (status, reason, contact) => txn.respond(status, buildServerResponse(req, stamped, status, reason, generateTag(), { contact })),
        proxy: (d) => this.proxy.startWithoutApp({ req, txn, topVia: stamped }, { ...d, remainInDialog: d.recordRoute }),
        taggedApp: (tag) => this.ctx.router.select(req.method, (c) => c.tags.includes(tag) && this.ctx.canTake(c)),
      });
    }
    const conn = this.ctx.router.select(req.method, (c) => this.ctx.canTake(c));
    if (!conn) {
      this.ctx.metrics.drops.inc({ reason: 'no-app' });
      txn.respond(503, buildServerResponse(req, stamped, 503, 'Service Unavailable', generateTag()));
      return;
    }
    this.relayNew(req, raw, source, txn, text, stamped, conn);
  }

  /** Hands a new out-of-dialog request to an app with a fresh txn id and the local address [T04]. */
  private relayNew(
    req: SipRequest,
    raw: Buffer,
    source: RemoteInfo,
    txn: ServerTransaction,
    text: string,
    stamped: string,
    conn: AppConnection,
  ): void {
    if (txn.state === 'terminated') return;
    const rec: ServerRequestRecord = {
      txnId: newId(),
      txn,
      req,
      topVia: stamped,
      source,
      conn,
      bytes: raw.length,
      toTag: '',
      answered: false,
    };
    txn.context = rec;
    this.ctx.addPending(rec);
    this.ctx.metrics.appFrames.inc({ direction: 'to-app' });
    if (req.method === 'INVITE') this.ctx.cdr.attempt('network', text);
    conn.sendSip(
      {
        source: 'network',
        bytes: raw.length,
        proto: source.proto,
        address: source.address,
        port: source.port,
        txnId: rec.txnId,
        dialogId: '',
        receivedOn: source.local,
      },
      text,
    );
  }

  private inDialog(req: SipRequest, raw: Buffer, source: RemoteInfo, viaHost: string, parts: RequestKeyParts): void {
    const dialog = this.ctx.dialogs.match(parts.callId, parts.fromTag, parts.toTag);
    const conn = dialog ? this.ctx.connections.get(dialog.ownerId) : undefined;
    if (!dialog || !conn || !conn.isOpen) {
      return this.stateless(req, raw, source, viaHost, 481, 'Call/Transaction Does Not Exist');
    }
    if (parts.cseq > dialog.remoteCSeq) dialog.remoteCSeq = parts.cseq;
    const txn = this.ctx.tl.createServer(parts, source);
    const { text, topVia } = stampTopVia(raw.toString('utf8'), viaHost, source);
    if (req.method === 'INVITE') txn.respond(100, buildServerResponse(req, topVia, 100, 'Trying', ''));
    if (this.ctx.sessionTimers.refusesPeerRefresh(dialog, req, txn, topVia)) return;
    // A target refresh over a connection-oriented transport: keep answering over that connection.
    if (source.connectionId) dialog.peer = { proto: source.proto, address: source.address, port: source.port, connectionId: source.connectionId };
    const rec: ServerRequestRecord = {
      txnId: newId(),
      txn,
      req,
      topVia,
      source,
      conn,
      bytes: raw.length,
      toTag: dialog.localTag,
      answered: false,
      dialog,
    };
    txn.context = rec;
    this.ctx.addPending(rec);
    if (req.method === 'PRACK') {
      const rseq = parseInt(req.headers.get('rack') ?? '', 10);
      this.ctx.prackWaits.get(`${dialog.id}|${rseq}`)?.acked();
    }
    if (req.method === 'BYE') {
      this.ctx.endDialog(dialog);
      this.ctx.cdr.stop('network', 'normal-release', text);
    }
    conn.sendSip(
      { source: 'network', bytes: raw.length, proto: source.proto, address: source.address, port: source.port, txnId: rec.txnId, dialogId: dialog.id },
      text,
    );
  }

  /** ACK for a 2xx the app sent: stop retransmitting the 2xx and relay it with the INVITE's txn id [T04]. */
  private onAck(raw: Buffer, source: RemoteInfo, viaHost: string, parts: RequestKeyParts): void {
    const dialog = this.ctx.dialogs.match(parts.callId, parts.fromTag, parts.toTag);
    if (!dialog) return this.ctx.metrics.drops.inc({ reason: 'stray-ack' });
    const ackWait = this.ctx.ackWaits.get(dialog.id);
    const inviteTxnId = ackWait?.inviteTxnId ?? dialog.inviteTxnId;
    if (ackWait) ackWait.acked();
    const conn = this.ctx.connections.get(dialog.ownerId);
    if (!conn?.isOpen) return;
    const { text } = stampTopVia(raw.toString('utf8'), viaHost, source);
    // drachtio leaves the protocol empty on relayed ACKs [T04].
    conn.sendSip(
      { source: 'network', bytes: raw.length, proto: '', address: source.address, port: source.port, txnId: inviteTxnId, dialogId: dialog.id },
      text,
    );
  }

  /** A response sent without a server transaction, for requests refused before any app sees them. */
  stateless(req: SipRequest, raw: Buffer, source: RemoteInfo, viaHost: string, status: number, reason: string): void {
    if (req.method === 'ACK') return;
    const { topVia } = stampTopVia(raw.toString('utf8'), viaHost, source);
    this.ctx.send(source, buildServerResponse(req, topVia, status, reason, generateTag()));
  }
}
