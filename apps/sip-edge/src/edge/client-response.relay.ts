import { generateBranch, generateTag, parseVia, SipResponse } from '../sip/message';
import type { ClientTransaction, ClientTransactionUser } from '../transaction/client-transaction';
import type { RemoteInfo } from '../transport/transport';
import type { ClientRequestRecord, EdgeContext } from './edge-context';
import { non2xxAck, sendCancel } from './cancel-request';
import { assemble, tagOf, uriOf } from './outgoing-message';

/** A response as it came off the network, handed through the client transaction to the relay. */
export interface NetworkResponse {
  msg: SipResponse;
  raw: Buffer;
  source: RemoteInfo;
}

const REASONS: Record<number, string> = { 408: 'Request Timeout', 503: 'Service Unavailable' };

/**
 * Transaction user for requests the apps originated: updates the UAC dialog and relays each response to
 * the app with the request's txn id (and dialog id for INVITE/SUBSCRIBE and in-dialog requests) [T05] [T09].
 */
export class ClientResponseRelay implements ClientTransactionUser {
  /**
   * INVITEs cancelled because the app sent BYE meanwhile: their responses no longer reach the app. The
   * value says whether the CANCEL still waits for a provisional response (RFC 3261 §9.1, as sofia does).
   */
  private readonly abandoned = new WeakMap<ClientRequestRecord, { cancelOnProvisional: boolean }>();

  constructor(private readonly ctx: EdgeContext) {}

  /** Cancels an app INVITE and keeps its responses from the app (see AppRequestHandler.cancelPendingInvite). */
  abandon(rec: ClientRequestRecord): void {
    const proceeding = rec.txn.state === 'proceeding';
    if (proceeding) sendCancel(this.ctx, rec);
    this.abandoned.set(rec, { cancelOnProvisional: !proceeding });
  }

  /** Routes a response from the network to its client transaction (§17.1.3): top Via branch + CSeq method. */
  dispatch(msg: SipResponse, raw: Buffer, source: RemoteInfo): boolean {
    const top = msg.headers.get('via');
    const via = top ? parseVia(top) : undefined;
    const cseq = msg.headers.get('cseq');
    if (!via?.branch || !cseq) return false;
    const method = cseq.slice(cseq.lastIndexOf(' ') + 1).trim();
    const txn = this.ctx.tl.findClient(via.branch, method);
    if (!txn) return false;
    txn.onResponse(msg.status, { msg, raw, source } satisfies NetworkResponse);
    return true;
  }

  onResponse(txn: ClientTransaction, status: number, response: unknown): void {
    const rec = txn.context as ClientRequestRecord | undefined;
    if (!rec) return;
    rec.heard = true;
    const { msg, raw, source } = response as NetworkResponse;
    const dialog = rec.dialog;
    if (status >= 200 && dialog?.pendingInviteTxnId === rec.txnId) dialog.pendingInviteTxnId = undefined;
    const abandoned = this.abandoned.get(rec);
    if (abandoned) return this.onAbandonedResponse(rec, abandoned, status, msg);
    if (dialog && rec.dialogId === dialog.id && (rec.method === 'INVITE' || rec.method === 'SUBSCRIBE')) {
      if (status >= 200 && status < 300 && rec.final) {
        // A retransmitted 2xx: our ACK got lost, send it again (RFC 6026 §8.4); the app saw it already.
        if (dialog.lastAck && dialog.lastAck.cseq === rec.cseq) this.ctx.send(dialog.lastAck.peer, dialog.lastAck.text);
        return;
      }
      this.updateDialog(rec, msg, source, status);
      if (rec.method === 'INVITE' && status === 200) this.ctx.sessionTimers.onUacAnswer(dialog, msg);
      // CDRs describe the call, not re-INVITEs inside it.
      if (rec.method === 'INVITE' && status >= 200 && rec.txnId === dialog.inviteTxnId) {
        if (status < 300) this.ctx.cdr.start('network', 'uac', raw.toString('utf8'));
        else this.ctx.cdr.stop('network', 'call-rejected', raw.toString('utf8'));
      }
    }
    if (status >= 200) {
      rec.final = true;
      this.ctx.pendingClient.delete(rec.txnId);
    }
    rec.conn.sendSip(
      {
        source: 'network',
        bytes: raw.length,
        proto: source.proto,
        address: source.address,
        port: source.port,
        txnId: rec.txnId,
        dialogId: rec.dialogId,
      },
      raw.toString('utf8'),
    );
  }

  /** Timeout or transport failure: report a locally made 408/503 as a network response with no peer [T16]. */
  onFailure(txn: ClientTransaction, status: 408 | 503): void {
    const rec = txn.context as ClientRequestRecord | undefined;
    if (!rec) return;
    if (this.failOver(rec)) return;
    rec.final = true;
    this.ctx.pendingClient.delete(rec.txnId);
    if (rec.dialog?.pendingInviteTxnId === rec.txnId) rec.dialog.pendingInviteTxnId = undefined;
    if (this.abandoned.has(rec)) return;
    if (rec.dialog && rec.dialog.state === 'early') this.failDialog(rec);
    const text = assemble(
      `SIP/2.0 ${status} ${REASONS[status]}`,
      [
        ['Via', rec.via],
        ['From', rec.from],
        ['To', tagOf(rec.to) ? rec.to : `${rec.to};tag=${generateTag()}`],
        ['Call-ID', rec.callId],
        ['CSeq', `${rec.cseq} ${rec.method}`],
      ],
      [],
      Buffer.alloc(0),
    );
    rec.conn.sendSip(
      { source: 'network', bytes: 0, proto: rec.peer.proto, address: '', port: 0, txnId: rec.txnId, dialogId: rec.dialogId },
      text.toString('utf8'),
    );
  }

  /**
   * A response to an abandoned INVITE: the first provisional lets the delayed CANCEL go; a 2xx that
   * crossed the CANCEL is ACKed (the BYE is already out; sofia ACKs such orphan 2xx too). Nothing reaches the app.
   */
  private onAbandonedResponse(rec: ClientRequestRecord, state: { cancelOnProvisional: boolean }, status: number, msg: SipResponse): void {
    if (status < 200) {
      if (state.cancelOnProvisional) {
        state.cancelOnProvisional = false;
        sendCancel(this.ctx, rec);
      }
      return;
    }
    rec.final = true;
    if (status >= 300) return;
    const contact = msg.headers.get('contact');
    const target = contact ? uriOf(contact) : rec.uri;
    const branch = generateBranch();
    const via = rec.via.replace(/branch=[^;\s,]+/, `branch=${branch}`);
    const stack: Array<[string, string]> = [['Via', via]];
    for (const r of rec.routes) stack.push(['Route', r]);
    stack.push(['Max-Forwards', '70'], ['From', rec.from], ['To', msg.headers.get('to') ?? rec.to], ['Call-ID', rec.callId]);
    stack.push(['CSeq', `${rec.cseq} ACK`]);
    this.ctx.send(rec.peer, assemble(`ACK ${target} SIP/2.0`, stack, [], Buffer.alloc(0)));
  }

  /**
   * Sends the request to the destination's next address, if it has one and nobody gave up on it. The app
   * keeps the txn id it was given and hears only of the outcome, as with sofia's own failover.
   */
  private failOver(rec: ClientRequestRecord): boolean {
    const next = rec.failover?.spares.shift();
    if (!next || !rec.failover || rec.cancelled || rec.heard || rec.final || this.abandoned.has(rec)) return false;
    const { buf, via, branch } = rec.failover.rebuild(next);
    rec.via = via;
    rec.peer = next;
    const buildAck = rec.method === 'INVITE' ? (res: unknown) => this.buildNon2xxAck(rec, res) : undefined;
    rec.txn = this.ctx.tl.createClient(branch, rec.method, next, buf, this, buildAck);
    rec.txn.context = rec;
    return true;
  }

  /** ACK for a non-2xx final response: same branch, To from the response (§17.1.1.3). */
  buildNon2xxAck(rec: ClientRequestRecord, response: unknown): Buffer {
    return non2xxAck(rec, (response as NetworkResponse).msg.headers.get('to'));
  }

  private updateDialog(rec: ClientRequestRecord, msg: SipResponse, source: RemoteInfo, status: number): void {
    const dialog = rec.dialog;
    if (!dialog || status <= 100) return;
    if (status >= 300) return this.failDialog(rec);
    const toTag = tagOf(msg.headers.get('to'));
    if (toTag && (!dialog.remoteTag || dialog.state === 'early')) dialog.remoteTag = toTag;
    const contact = msg.headers.get('contact');
    if (contact) dialog.remoteTarget = uriOf(contact);
    if (dialog.state === 'early') dialog.routeSet = msg.headers.getValues('record-route').reverse();
    if (source.connectionId) {
      dialog.peer = { proto: source.proto, address: source.address, port: source.port, connectionId: source.connectionId };
    }
    if (status >= 200) dialog.state = 'confirmed';
  }

  /** The INVITE failed: keep the dialog id around as `failed` so an app ACK gets drachtio's NOK [T10]. */
  private failDialog(rec: ClientRequestRecord): void {
    const dialog = rec.dialog;
    if (!dialog || dialog.state === 'confirmed') return;
    dialog.state = 'failed';
    this.ctx.tl.wheel.schedule(32_000, () => this.ctx.dialogs.remove(dialog));
  }
}
