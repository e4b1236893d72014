import { AckWait } from '../dialog/ack-wait';
import { Dialog, dialogId } from '../dialog/dialog';
import { generateTag } from '../sip/message';
import type { ServerTransaction } from '../transaction/server-transaction';
import type { AppConnection, AppSipCommand } from '../wire/app-connection';
import { responseSentData, type WireMeta } from '../wire/wire-format';
import { AppMessage, getHeader, replaceLocalhost } from './app-message';
import type { EdgeContext, ServerRequestRecord } from './edge-context';
import { asNameAddr, contentTypeFor, tagOf, uriOf, withoutTag } from './outgoing-message';
import { buildServerResponse } from './response-builder';
import { BYE_REASON_ACK_TIMEOUT, UnsolicitedBye } from './unsolicited-bye';

const DIALOG_METHODS = new Set(['INVITE', 'SUBSCRIBE']);

/** The final response an app sent to a new INVITE, kept until the ACK so a second one can be answered. */
interface SentFinal {
  conn: AppConnection;
  txn: ServerTransaction;
  status: number;
  buf: Buffer;
  meta: WireMeta;
  dialogId: string;
}

/** An app's response to a request the edge relayed (`sip|<txn id>|` + status line), §3.4 and §6. */
export class AppResponseHandler {
  /** By txn id: new INVITEs answered with a final response and not yet ACKed (drachtio's invite in progress). */
  private readonly sentFinals = new Map<string, SentFinal>();

  constructor(
    private readonly ctx: EdgeContext,
    private readonly bye: UnsolicitedBye,
  ) {}

  handle(conn: AppConnection, cmd: AppSipCommand, msg: AppMessage): void {
    const rec = this.ctx.pendingServer.get(cmd.txnId);
    if (!rec || rec.conn !== conn) {
      if (this.echoSentFinal(conn, cmd)) return;
      return conn.reply(cmd.msgId, 'NOK', 'Response not sent due to unknown transaction');
    }
    const { req, txn } = rec;
    const status = msg.status;
    const local = this.ctx.local(rec.source.proto);
    replaceLocalhost(msg, local.hostport);
    const isDialogMethod = DIALOG_METHODS.has(req.method) && !tagOf(req.headers.get('to'));
    if (status > 100 && !rec.toTag) {
      // On the first response to an INVITE/SUBSCRIBE the app may choose the tag (§6).
      const appTag = isDialogMethod ? tagOf(getHeader(msg, 'to')) : '';
      rec.toTag = appTag || generateTag();
    }
    let contact = getHeader(msg, 'contact');
    const reliable1xx = status > 100 && status < 200 && /100rel/i.test(getHeader(msg, 'require') ?? '');
    if (!contact && DIALOG_METHODS.has(req.method) && ((status >= 200 && status < 300) || reliable1xx)) {
      contact = `<sip:${local.hostport}${local.proto === 'udp' ? '' : `;transport=${local.proto}`}>`;
    }
    if (reliable1xx) {
      // RFC 3262: the stack numbers reliable provisionals (the app's RSeq, if any, was dropped).
      rec.rseq = (rec.rseq ?? Math.floor(Math.random() * 1_000_000)) + 1;
      msg.headers.push({ name: 'RSeq', key: 'rseq', value: String(rec.rseq) });
    }
    const contentType = contentTypeFor(getHeader(msg, 'content-type'), msg.body);
    const sessionTimer =
      status === 200 && req.method === 'INVITE' && isDialogMethod
        ? this.ctx.sessionTimers.answerInvite(req, getHeader(msg, 'session-expires'), getHeader(msg, 'require'))
        : undefined;
    if (sessionTimer) msg.headers.push(...sessionTimer.headers);
    const buf = buildServerResponse(req, rec.topVia, status, msg.reason, rec.toTag, {
      contact: contact ? asNameAddr(contact) : undefined,
      headers: msg.headers,
      body: msg.body,
      contentType,
    });
    if (!txn.respond(status, buf)) {
      return conn.reply(cmd.msgId, 'NOK', 'Response not sent due to unknown transaction');
    }
    if (status > 100) rec.answered = true;
    let dialog = rec.dialog;
    if (isDialogMethod && status > 100 && status < 300 && !dialog) dialog = this.createUasDialog(rec, conn, contact ?? '');
    if (dialog && isDialogMethod && status >= 200 && status < 300) dialog.state = 'confirmed';
    if (dialog && req.method === 'INVITE' && msg.body.length > 0) {
      dialog.localSdp = { body: msg.body, contentType: contentType ?? dialog.localSdp?.contentType ?? '' };
    }
    if (dialog && sessionTimer) this.ctx.sessionTimers.start(dialog, sessionTimer);
    if (req.method === 'INVITE' && status >= 200 && status < 300 && dialog) this.awaitAck(rec, dialog, buf);
    if (reliable1xx && dialog && rec.rseq) this.awaitPrack(rec, dialog, buf, rec.rseq);
    if (status >= 200) for (const wait of rec.prackWaits?.splice(0) ?? []) wait.cancel();
    if (status >= 200 && isDialogMethod && req.method === 'INVITE') {
      if (status < 300) this.ctx.cdr.start('application', 'uas', buf.toString('utf8'));
      else this.ctx.cdr.stop('application', 'call-rejected', buf.toString('utf8'));
    }
    if (status >= 200) {
      this.ctx.removePending(rec);
      // The transaction lingers for Timer J/H; it must not pin the parsed request meanwhile.
      if (req.method !== 'INVITE') txn.context = undefined;
      if (isDialogMethod && status >= 300 && dialog) this.ctx.endDialog(dialog);
    }
    const meta = {
      source: 'application' as const,
      bytes: buf.length,
      // drachtio reports the protocol only for INVITE responses [T03] [T04].
      proto: req.method === 'INVITE' ? rec.source.proto : '',
      address: rec.source.address,
      port: rec.source.port,
      txnId: rec.txnId,
      dialogId: dialog && (isDialogMethod || rec.dialog) ? dialog.id : '',
    };
    if (status >= 200 && isDialogMethod && req.method === 'INVITE') {
      this.rememberFinal(rec.txnId, { conn, txn, status, buf, meta, dialogId: dialog?.id ?? '' });
    }
    conn.reply(cmd.msgId, 'OK', responseSentData(meta), buf.toString('utf8'));
  }

  /**
   * A response to a new INVITE that already has its final one is not sent; while the INVITE is still
   * waiting for its ACK the app gets `OK` with the earlier response echoed and an empty dialog id
   * (doRespondToSipRequest, invite-in-progress branch). After the ACK it is an unknown transaction.
   */
  private echoSentFinal(conn: AppConnection, cmd: AppSipCommand): boolean {
    const sent = this.sentFinals.get(cmd.txnId);
    if (!sent || sent.conn !== conn) return false;
    const waiting =
      sent.status < 300 ? this.ctx.ackWaits.get(sent.dialogId)?.inviteTxnId === cmd.txnId : sent.txn.state === 'completed';
    if (!waiting) {
      this.sentFinals.delete(cmd.txnId);
      return false;
    }
    conn.reply(cmd.msgId, 'OK', responseSentData({ ...sent.meta, dialogId: '' }), sent.buf.toString('utf8'));
    return true;
  }

  /** Kept until the ACK (2xx: the ACK wait ends; otherwise Timer H bounds it, the transaction keeps the buffer anyway). */
  private rememberFinal(txnId: string, sent: SentFinal): void {
    this.sentFinals.set(txnId, sent);
    if (sent.status < 300 && this.ctx.ackWaits.get(sent.dialogId)?.inviteTxnId === txnId) return;
    this.ctx.tl.wheel.schedule(64 * this.ctx.timers.t1, () => this.sentFinals.delete(txnId));
  }

  private createUasDialog(rec: ServerRequestRecord, conn: AppConnection, contact: string): Dialog {
    const { req, source } = rec;
    const callId = req.headers.get('call-id') ?? '';
    const fromValue = req.headers.get('from') ?? '';
    const remoteTag = tagOf(fromValue);
    const dialog = new Dialog(dialogId(callId, remoteTag), 'uas', callId, rec.toTag);
    dialog.remoteTag = remoteTag;
    dialog.localAddr = withoutTag(req.headers.get('to') ?? '');
    dialog.remoteAddr = withoutTag(fromValue);
    dialog.remoteTarget = uriOf(req.headers.get('contact') ?? '') || uriOf(fromValue);
    dialog.routeSet = req.headers.getValues('record-route');
    dialog.remoteCSeq = parseInt(req.headers.get('cseq') ?? '0', 10);
    dialog.localContact = contact ? asNameAddr(contact) : '';
    dialog.ownerId = conn.id;
    dialog.inviteTxnId = rec.txnId;
    if (source.connectionId) dialog.peer = { proto: source.proto, address: source.address, port: source.port, connectionId: source.connectionId };
    rec.dialog = dialog;
    this.ctx.dialogs.add(dialog);
    return dialog;
  }

  /** RFC 3262 §3: a reliable provisional is re-sent (T1, doubling) until its PRACK arrives. */
  private awaitPrack(rec: ServerRequestRecord, dialog: Dialog, response: Buffer, rseq: number): void {
    const key = `${dialog.id}|${rseq}`;
    const wait = new AckWait(
      rec.txnId,
      response,
      rec.txn.peer,
      { wheel: this.ctx.tl.wheel, send: (p, d, e) => this.ctx.send(p, d, e), timers: this.ctx.timers },
      () => undefined,
      () => {
        if (this.ctx.prackWaits.get(key) === wait) this.ctx.prackWaits.delete(key);
      },
    );
    this.ctx.prackWaits.set(key, wait);
    (rec.prackWaits ??= []).push(wait);
  }

  private awaitAck(rec: ServerRequestRecord, dialog: Dialog, response: Buffer): void {
    this.ctx.ackWaits.get(dialog.id)?.cancel();
    const wait = new AckWait(
      rec.txnId,
      response,
      rec.txn.peer,
      { wheel: this.ctx.tl.wheel, send: (p, d, e) => this.ctx.send(p, d, e), timers: this.ctx.timers },
      () => this.bye.send(dialog, BYE_REASON_ACK_TIMEOUT),
      () => {
        if (this.ctx.ackWaits.get(dialog.id) === wait) this.ctx.ackWaits.delete(dialog.id);
        this.sentFinals.delete(rec.txnId);
      },
    );
    this.ctx.ackWaits.set(dialog.id, wait);
  }
}
