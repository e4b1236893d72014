import { randomUUID } from 'node:crypto';
import { Dialog, dialogId } from '../dialog/dialog';
import { generateBranch, generateTag } from '../sip/message';
import type { AppConnection, AppSipCommand } from '../wire/app-connection';
import type { SipPeer } from '../transaction/transaction-types';
import { requestSentData } from '../wire/wire-format';
import { AppMessage, getHeader, replaceLocalhost } from './app-message';
import type { ClientRequestRecord, EdgeContext } from './edge-context';
import { buildInDialogRequest } from './in-dialog-request';
import { asNameAddr, assemble, contentTypeFor, tagOf, withoutTag } from './outgoing-message';
import { sendCancel } from './cancel-request';
import type { ClientResponseRelay } from './client-response.relay';
import { dialogPeer, resolveTargets, uriTarget } from './target-resolver';

const CONTACT_METHODS = new Set(['INVITE', 'SUBSCRIBE', 'REFER']);

/** Requests an app asks the edge to send: new (`sip||`), in a dialog (`sip||<dialog>`), or CANCEL. */
export class AppRequestHandler {
  constructor(
    private readonly ctx: EdgeContext,
    private readonly relay: ClientResponseRelay,
  ) {}

  async handle(conn: AppConnection, cmd: AppSipCommand, msg: AppMessage): Promise<void> {
    if (cmd.txnId && !cmd.dialogId) {
      if (msg.method === 'CANCEL') return this.cancel(conn, cmd);
      return; // drachtio never answers a non-CANCEL request with a txn id and no dialog (§3.4)
    }
    let dialog: Dialog | undefined;
    if (cmd.dialogId) {
      dialog = this.ctx.dialogs.get(cmd.dialogId);
      if (!dialog) return conn.reply(cmd.msgId, 'NOK', 'Server error: unable to find dialog for dialog id provided');
    } else {
      const callId = getHeader(msg, 'call-id');
      if (callId) dialog = this.ctx.dialogs.findByCallId(callId);
    }
    if (dialog) return this.inDialog(conn, cmd, msg, dialog);
    return this.outOfDialog(conn, cmd, msg);
  }

  private async outOfDialog(conn: AppConnection, cmd: AppSipCommand, msg: AppMessage): Promise<void> {
    const target = uriTarget(cmd.nextHop || msg.uri);
    if (!target) return conn.reply(cmd.msgId, 'NOK', 'invalid request uri');
    if (this.ctx.isSelf(target.host, target.port)) return conn.reply(cmd.msgId, 'NOK', 'can not send request to myself');
    const contentType = contentTypeFor(getHeader(msg, 'content-type'), msg.body);
    if (msg.body.length > 0 && !contentType) return conn.reply(cmd.msgId, 'NOK', 'missing content-type');
    const peers = await resolveTargets(cmd.nextHop || msg.uri);
    // The app may have gone while DNS answered: its dialogs were dropped, nothing may start for it now.
    if (!conn.isOpen) return;
    const peer = peers[0];
    if (!peer) return conn.reply(cmd.msgId, 'NOK', 'unable to resolve destination');
    const local = this.ctx.local(peer.proto);
    replaceLocalhost(msg, local.hostport);
    const method = msg.method;
    const appFrom = getHeader(msg, 'from');
    let from = appFrom ? asNameAddr(appFrom) : `<sip:${local.hostport}>`;
    if (!tagOf(from)) from = `${from};tag=${generateTag()}`;
    const appTo = getHeader(msg, 'to');
    const to = appTo ? asNameAddr(appTo) : `<${msg.uri}>`;
    const callId = getHeader(msg, 'call-id') || randomUUID();
    const appCseq = parseInt(getHeader(msg, 'cseq') ?? '', 10);
    const cseq = appCseq > 0 ? appCseq : Math.floor(Math.random() * 100_000_000) + 1;
    const appContact = getHeader(msg, 'contact');
    /** The request for one address of the destination (Via and a default Contact follow its transport). */
    const build = (p: SipPeer) => {
      const l = this.ctx.local(p.proto);
      const branch = generateBranch();
      const via = `SIP/2.0/${p.proto.toUpperCase()} ${l.hostport};rport;branch=${branch}`;
      let contact = appContact;
      if (!contact && (method === 'INVITE' || method === 'SUBSCRIBE')) {
        contact = `<sip:${l.hostport}${p.proto === 'udp' ? '' : `;transport=${p.proto}`}>`;
      }
      const stack: Array<[string, string]> = [
        ['Via', via],
        ['Max-Forwards', getHeader(msg, 'max-forwards') ?? '70'],
        ['From', from],
        ['To', to],
        ['Call-ID', callId],
        ['CSeq', `${cseq} ${method}`],
      ];
      if (contact) stack.push(['Contact', asNameAddr(contact)]);
      return { buf: assemble(`${method} ${msg.uri} SIP/2.0`, stack, msg.headers, msg.body, contentType), via, branch, contact };
    };
    const { buf, via, branch, contact } = build(peer);
    let dialog: Dialog | undefined;
    if (method === 'INVITE' || method === 'SUBSCRIBE') {
      const fromTag = tagOf(from);
      dialog = new Dialog(dialogId(callId, fromTag), 'uac', callId, fromTag);
      dialog.localAddr = withoutTag(from);
      dialog.remoteAddr = to;
      dialog.remoteTarget = msg.uri;
      dialog.localCSeq = cseq;
      dialog.inviteCSeq = cseq;
      dialog.localContact = contact ? asNameAddr(contact) : '';
      dialog.ownerId = conn.id;
      if (method === 'INVITE' && msg.body.length > 0) dialog.localSdp = { body: msg.body, contentType: contentType ?? '' };
      this.ctx.dialogs.add(dialog);
    }
    const rec = this.startClient(conn, method, peer, buf, { uri: msg.uri, via, from, to, callId, cseq, routes: [], branch }, dialog);
    if (peers.length > 1) {
      rec.failover = {
        spares: peers.slice(1),
        rebuild: (p) => {
          const next = build(p);
          if (dialog && next.contact) dialog.localContact = asNameAddr(next.contact);
          return next;
        },
      };
    }
    if (dialog) dialog.inviteTxnId = rec.txnId;
    if (method === 'INVITE') this.ctx.cdr.attempt('application', buf.toString('utf8'));
    conn.replySent(cmd.msgId, requestSentData(this.sentMeta(buf, peer.proto, local, rec.txnId)), buf.toString('utf8'));
  }

  private async inDialog(conn: AppConnection, cmd: AppSipCommand, msg: AppMessage, dialog: Dialog): Promise<void> {
    const method = msg.method;
    if (method === 'ACK' && dialog.state === 'failed') {
      return conn.reply(cmd.msgId, 'NOK', 'Server error: ACK for non-success final response is automatically generated by server');
    }
    if (dialog.state === 'terminated') {
      return conn.reply(cmd.msgId, 'NOK', 'Server error: unable to find dialog for dialog id provided');
    }
    const contentType = contentTypeFor(getHeader(msg, 'content-type'), msg.body);
    if (msg.body.length > 0 && !contentType) return conn.reply(cmd.msgId, 'NOK', 'missing content-type');
    const peer = await dialogPeer(dialog);
    if (!conn.isOpen) return;
    if (!peer) return conn.reply(cmd.msgId, 'NOK', 'unable to resolve destination');
    const local = this.ctx.local(peer.proto);
    replaceLocalhost(msg, local.hostport);
    let contact = getHeader(msg, 'contact');
    if (!contact && CONTACT_METHODS.has(method)) contact = dialog.localContact;
    const cseq = method === 'ACK' ? dialog.inviteCSeq : dialog.nextLocalCSeq();
    const req = buildInDialogRequest(dialog, method, local, {
      cseq,
      headers: msg.headers,
      body: msg.body,
      contentType,
      contact: contact ? asNameAddr(contact) : undefined,
      maxForwards: getHeader(msg, 'max-forwards'),
    });
    if (method === 'ACK') {
      // ACK for a 2xx is its own transaction-less message (§17.1.1.3); keep it for 2xx retransmissions.
      dialog.lastAck = { cseq, text: req.buf, peer };
      // A late offer's answer: what a session refresh re-offers.
      if (msg.body.length > 0 && contentType === 'application/sdp') dialog.localSdp = { body: msg.body, contentType };
      this.ctx.send(peer, req.buf);
      const txnId = randomUUID();
      return conn.replySent(cmd.msgId, requestSentData(this.sentMeta(req.buf, peer.proto, local, txnId)), req.buf.toString('utf8'));
    }
    if (method === 'INVITE') dialog.inviteCSeq = cseq;
    if (method === 'INVITE' && msg.body.length > 0 && contentType === 'application/sdp') {
      dialog.localSdp = { body: msg.body, contentType };
    }
    if (method === 'BYE') this.cancelPendingInvite(dialog);
    const rec = this.startClient(conn, method, peer, req.buf, { ...req, callId: dialog.callId }, dialog);
    rec.dialogId = dialog.id;
    if (method === 'BYE') {
      this.ctx.endDialog(dialog);
      this.ctx.cdr.stop('application', 'normal-release', req.buf.toString('utf8'));
    }
    conn.replySent(cmd.msgId, requestSentData(this.sentMeta(req.buf, peer.proto, local, rec.txnId)), req.buf.toString('utf8'));
  }

  /**
   * A BYE while the app's INVITE in this dialog (usually a re-INVITE) has no final response: drachtio
   * CANCELs that INVITE first and forgets it, so the app hears nothing more about it
   * (doSendRequestInsideDialog: nta_outgoing_cancel, clearRIPByDialogId).
   */
  private cancelPendingInvite(dialog: Dialog): void {
    const inv = dialog.pendingInviteTxnId ? this.ctx.pendingClient.get(dialog.pendingInviteTxnId) : undefined;
    dialog.pendingInviteTxnId = undefined;
    if (!inv || inv.final || inv.method !== 'INVITE') return;
    this.ctx.pendingClient.delete(inv.txnId);
    this.relay.abandon(inv);
  }

  /** `sip|<INVITE txn id>|` + CANCEL: cancel the app's own INVITE (§3.4) [T08]. */
  private cancel(conn: AppConnection, cmd: AppSipCommand): void {
    const inv = this.ctx.pendingClient.get(cmd.txnId);
    if (!inv || inv.method !== 'INVITE' || inv.conn !== conn) {
      return conn.reply(cmd.msgId, 'NOK', `unable to cancel unknown transaction id: ${cmd.txnId}`);
    }
    const buf = sendCancel(this.ctx, inv);
    const local = this.ctx.local(inv.peer.proto);
    conn.replySent(cmd.msgId, requestSentData(this.sentMeta(buf, inv.peer.proto, local, randomUUID())), buf.toString('utf8'));
  }

  private startClient(
    conn: AppConnection,
    method: string,
    peer: ClientRequestRecord['peer'],
    buf: Buffer,
    parts: { uri: string; via: string; from: string; to: string; callId: string; cseq: number; routes: string[]; branch: string },
    dialog?: Dialog,
  ): ClientRequestRecord {
    const rec = {
      txnId: randomUUID(),
      conn,
      method,
      uri: parts.uri,
      via: parts.via,
      from: parts.from,
      to: parts.to,
      callId: parts.callId,
      cseq: parts.cseq,
      routes: parts.routes,
      peer,
      dialog,
      dialogId: dialog && (method === 'INVITE' || method === 'SUBSCRIBE') ? dialog.id : '',
    } as ClientRequestRecord;
    this.ctx.pendingClient.set(rec.txnId, rec);
    const buildAck = method === 'INVITE' ? (res: unknown) => this.relay.buildNon2xxAck(rec, res) : undefined;
    rec.txn = this.ctx.tl.createClient(parts.branch, method, peer, buf, this.relay, buildAck);
    rec.txn.context = rec;
    if (method === 'INVITE' && dialog) dialog.pendingInviteTxnId = rec.txnId;
    return rec;
  }

  private sentMeta(buf: Buffer, proto: string, local: { address: string; port: number }, txnId: string) {
    return { source: 'application' as const, bytes: buf.length, proto, address: local.address, port: local.port, txnId, dialogId: '' };
  }
}
