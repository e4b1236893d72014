import { generateTag, SipRequest } from '../sip/message';
import type { ServerTransaction } from '../transaction/server-transaction';
import type { RequestKeyParts } from '../transaction/transaction-layer';
import type { RemoteInfo } from '../transport/transport';
import type { EdgeContext, ServerRequestRecord } from './edge-context';
import { buildServerResponse } from './response-builder';
import { stampTopVia } from './via-stamp';

/**
 * CANCEL from the network (§6): the stack answers 200 to the CANCEL and 487 to the INVITE itself, then
 * tells the app. Before the app's first response the two responses carry different To-tags and the app
 * frame has no dialog id [T07]; after a 1xx both use the dialog's tag and the frame names the dialog [T06].
 */
export class CancelHandler {
  constructor(private readonly ctx: EdgeContext) {}

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
      this.ctx.send(source, buildServerResponse(req, topVia, 481, 'Call/Transaction Does Not Exist', generateTag()));
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
}
