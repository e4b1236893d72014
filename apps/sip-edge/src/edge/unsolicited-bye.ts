import type { Dialog } from '../dialog/dialog';
import type { ClientTransactionUser } from '../transaction/client-transaction';
import type { CdrStopReason } from './cdr-emitter';
import type { EdgeContext } from './edge-context';
import { buildInDialogRequest } from './in-dialog-request';
import { dialogPeer } from './target-resolver';

/** Reason values as sofia encodes drachtio's `SIP ;cause=200 ;text="…"` strings [T15]. */
export const BYE_REASON_ACK_TIMEOUT = 'SIP;cause=200;text="ACK timeout"';
export const BYE_REASON_CANCEL_AFTER_200 = 'SIP;cause=200;text="CANCEL after 200 OK"';
export const BYE_REASON_SESSION_EXPIRED = 'SIP;cause=200;text="Session timer expired"';

const IGNORE_RESPONSES: ClientTransactionUser = { onResponse: () => undefined, onFailure: () => undefined };

/**
 * A BYE the edge sends on its own (e.g. no ACK for our 2xx within 64·T1), reported to the owning app as
 * an `unsolicited` request from `application` so srf tears the dialog down too [T15].
 */
export class UnsolicitedBye {
  constructor(private readonly ctx: EdgeContext) {}

  /** `cdr`: post a cdr:stop with this reason and the BYE (drachtio does for an expired session only). */
  send(dialog: Dialog, reason: string, cdr?: CdrStopReason): void {
    if (dialog.state === 'terminated') return;
    this.ctx.endDialog(dialog);
    this.sendAsync(dialog, reason, cdr).catch((err: unknown) => this.ctx.logger.warn({ err, dialog: dialog.id }, 'could not send BYE'));
  }

  private async sendAsync(dialog: Dialog, reason: string, cdr?: CdrStopReason): Promise<void> {
    const peer = await dialogPeer(dialog);
    if (!peer) return;
    const local = this.ctx.local(peer.proto);
    const bye = buildInDialogRequest(dialog, 'BYE', local, {
      cseq: dialog.nextLocalCSeq(),
      headers: [{ name: 'Reason', key: 'reason', value: reason }],
    });
    this.ctx.tl.createClient(bye.branch, 'BYE', peer, bye.buf, IGNORE_RESPONSES);
    if (cdr) this.ctx.cdr.stop('application', cdr, bye.buf.toString('utf8'));
    const conn = this.ctx.connections.get(dialog.ownerId);
    if (!conn?.isOpen) return;
    conn.sendSip(
      {
        source: 'application',
        bytes: bye.buf.length,
        proto: peer.proto,
        address: local.address,
        port: local.port,
        txnId: 'unsolicited',
        dialogId: dialog.id,
      },
      bye.buf.toString('utf8'),
    );
  }
}
