import type { Dialog } from '../dialog/dialog';
import { generateTag, SipRequest } from '../sip/message';
import type { ServerTransaction } from '../transaction/server-transaction';
import type { RequestKeyParts } from '../transaction/transaction-layer';
import type { RemoteInfo } from '../transport/transport';
import type { EdgeContext, ServerRequestRecord } from './edge-context';
import { buildServerResponse } from './response-builder';
import { BYE_REASON_CANCEL_AFTER_200, UnsolicitedBye } from './unsolicited-bye';
import { stampTopVia } from './via-stamp';

const NO_TRANSACTION = 'Call/Transaction Does Not Exist';

/**
 * CANCEL from the network (§6): the stack answers 200 to the CANCEL and 487 to the INVITE itself, then
 * tells the app. Before the app's first response the two responses carry different To-tags and the app
 * frame has no dialog id [T07]; after a 1xx both use the dialog's tag and the frame names the dialog [T06].
 * A CANCEL of a call the app already answered 2xx gets 481, and the call is torn down (see cancelAfter200).
 */
export class CancelHandler {
  private readonly bye: UnsolicitedBye;

  constructor(private readonly ctx: EdgeContext) {
    this.bye = new UnsolicitedBye(ctx);
  }

  onNetworkCancel(
    req: SipRequest,
    raw: Buffer,
    source: RemoteInfo,
    viaHost: string,
    parts: RequestKeyParts,
    invite: ServerTransaction | undefined,
  ): void {
    const { text, topVia } = stampTopVia(raw.toString('utf8'), viaHost, source);
    const rec = invite?.context as ServerRequestRecord | undefined;
    if (!invite || !rec) {
      const dialog = parts.toTag ? undefined : this.ctx.dialogs.confirmedUas(parts.callId, parts.fromTag);
      if (dialog) return this.cancelAfter200(req, topVia, source, parts, dialog);
      this.ctx.send(source, buildServerResponse(req, topVia, 481, NO_TRANSACTION, generateTag()));
      return;
    }
    if (invite.lastStatus >= 200 && invite.lastStatus < 300) {
      // Only the call's own INVITE: a CANCEL crossing the 2xx of a re-INVITE just gets 481 (sofia incoming_cancel).
      const dialog = rec.dialog;
      const initial = !parts.toTag && dialog?.inviteTxnId === rec.txnId && dialog.state === 'confirmed';
      if (initial && dialog) return this.cancelAfter200(req, topVia, source, parts, dialog);
      this.ctx.tl.createServer(parts, source).respond(481, buildServerResponse(req, topVia, 481, NO_TRANSACTION, rec.toTag || generateTag()));
      return;
    }
    const txn = this.ctx.tl.createServer(parts, source);
    if (rec.onCancel && !invite.isFinal) {
      // Proxied: the 487 will come from downstream once our CANCEL reaches it (§16.10).
      txn.respond(200, buildServerResponse(req, topVia, 200, 'OK', generateTag()));
      return rec.onCancel();
    }
    const pending = this.ctx.pendingServer.get(rec.txnId) === rec;
    if (!pending || invite.isFinal) {
      txn.respond(200, buildServerResponse(req, topVia, 200, 'OK', rec.toTag || generateTag()));
      return;
    }
    // In-dialog requests (re-INVITE) always answer with the dialog's tag.
    const quick = !rec.answered && !rec.dialog;
    const cancelTag = quick ? generateTag() : rec.toTag;
    const inviteTag = quick ? generateTag() : rec.toTag;
    txn.respond(200, buildServerResponse(req, topVia, 200, 'OK', cancelTag));
    invite.respond(487, buildServerResponse(rec.req, rec.topVia, 487, 'Request Terminated', inviteTag));
    this.ctx.removePending(rec);
    const dialog = rec.dialog;
    if (dialog) this.ctx.endDialog(dialog);
    this.ctx.cdr.stop('network', 'call-canceled', text);
    if (!rec.conn.isOpen) return;
    rec.conn.sendSip(
      {
        source: 'network',
        // drachtio reports the INVITE's size on a CANCEL after a 1xx [T06], the CANCEL's own before [T07].
        bytes: quick ? raw.length : rec.bytes,
        proto: source.proto,
        address: source.address,
        port: source.port,
        txnId: rec.txnId,
        dialogId: quick || !dialog ? '' : dialog.id,
      },
      text,
    );
  }

  /**
   * The caller gave up while our 2xx was on its way (SipDialogController::processRequestInsideDialog, CANCEL
   * case): 481 to the CANCEL, a BYE with Reason "CANCEL after 200 OK" to the caller, and the app hears of it
   * as an unsolicited BYE. (While sofia still holds the INVITE transaction it answers such a CANCEL with a
   * bare 481 itself; the edge ends the call in every case, which is what drachtio's code intends.)
   */
  private cancelAfter200(req: SipRequest, topVia: string, source: RemoteInfo, parts: RequestKeyParts, dialog: Dialog): void {
    const txn = this.ctx.tl.createServer(parts, source);
    txn.respond(481, buildServerResponse(req, topVia, 481, NO_TRANSACTION, dialog.localTag));
    this.bye.send(dialog, BYE_REASON_CANCEL_AFTER_200);
  }
}
