import type { Dialog, SessionRefresher } from '../dialog/dialog';
import type { SipRequest, SipResponse } from '../sip/message';
import type { ClientTransaction, ClientTransactionUser } from '../transaction/client-transaction';
import type { ServerTransaction } from '../transaction/server-transaction';
import type { SipPeer } from '../transaction/transaction-types';
import type { AppHeader } from './app-message';
import type { NetworkResponse } from './client-response.relay';
import type { EdgeContext } from './edge-context';
import { buildInDialogRequest, type InDialogRequest } from './in-dialog-request';
import { assemble, uriOf } from './outgoing-message';
import { buildServerResponse } from './response-builder';
import { dialogPeer } from './target-resolver';
import { BYE_REASON_SESSION_EXPIRED, UnsolicitedBye } from './unsolicited-bye';

/** drachtio's fixed Min-SE (SipDialog m_nMinSE): the floor for a UAS interval and for an in-dialog refresh. */
export const MIN_SE = 90;

/** drachtio refreshes at half the interval ± up to 5 s (SipDialog::setSessionTimer). */
const JITTER_MS = 5000;

export interface SessionExpires {
  secs: number;
  /** The `refresher` parameter as written (`uac`, `uas`), or '' when absent. */
  refresher: string;
}

/** Parses `Session-Expires: <delta-seconds>[;refresher=uac|uas]` (RFC 4028 §4). */
export function parseSessionExpires(value: string | undefined): SessionExpires | undefined {
  if (!value) return undefined;
  const m = /^\s*(\d+)\s*((?:;.*)?)$/.exec(value);
  if (!m) return undefined;
  const refresher = /;\s*refresher\s*=\s*([^;\s]+)/i.exec(m[2])?.[1]?.toLowerCase() ?? '';
  return { secs: parseInt(m[1], 10), refresher };
}

/**
 * RFC 4028 session timers the way drachtio-server runs them for the apps' dialogs (SipDialog session timer,
 * SipDialogController::notifyRefreshDialog / notifyTerminateStaleDialog). As refresher the edge sends a
 * re-INVITE with the last local SDP at half the interval; it never tells the app, and the responses stay
 * here. When the peer is refresher and nothing refreshes the session by the end of the interval, the edge
 * sends BYE "Session timer expired" and the app gets it as an unsolicited BYE. Timers live on the dialog
 * and are cancelled when it ends (DialogStore.remove).
 */
export class SessionTimers {
  /**
   * Multiplies every session-timer delay. 1 in production; tests shrink it, since drachtio's 90 s
   * minimum would otherwise make each refresh take most of a minute.
   */
  scale = 1;
  private byeSender?: UnsolicitedBye;

  constructor(private readonly ctx: EdgeContext) {}

  /** SipDialog::setSessionTimer: replaces any armed timer. */
  arm(dialog: Dialog, secs: number, refresher: SessionRefresher): void {
    dialog.stopSessionTimer();
    if (dialog.state === 'terminated' || !(secs > 0)) return;
    let ms = secs * 1000;
    if (refresher === 'us') {
      ms /= 2;
      // drachtio's ±5 s, bounded so that a short interval (a peer may answer with any value) never fires at once.
      const bound = Math.min(JITTER_MS, ms / 4);
      ms += (Math.random() * 2 - 1) * bound;
    }
    const handle = this.ctx.tl.wheel.schedule(ms * this.scale, () => {
      if (dialog.sessionTimer?.handle !== handle) return;
      dialog.sessionTimer = undefined;
      if (dialog.state === 'terminated') return;
      if (refresher === 'us') this.refresh(dialog, secs);
      else this.expire(dialog);
    });
    dialog.sessionTimer = { secs, refresher, handle };
  }

  /**
   * The app's 200 to an initial INVITE (doRespondToSipRequest). The app's own Session-Expires wins
   * (refresher absent or `uac`: the caller refreshes). Otherwise, if the INVITE offered one with a
   * refresher, the edge answers with it and arms the timer; an offer without refresher is left alone
   * (drachtio's default-refresher "none"). The interval is at least MIN_SE. Returns what to arm once the
   * 200 is sent, and the Session-Expires header to add to it when the app wrote none.
   */
  answerInvite(req: SipRequest, appValue: string | undefined): { header?: AppHeader; secs: number; refresher: SessionRefresher } | undefined {
    const app = parseSessionExpires(appValue);
    if (app) return { secs: Math.max(MIN_SE, app.secs), refresher: app.refresher === 'uas' ? 'us' : 'them' };
    const offer = parseSessionExpires(req.headers.get('session-expires'));
    if (!offer?.refresher) return undefined;
    const secs = Math.max(MIN_SE, offer.secs);
    return {
      header: { name: 'Session-Expires', key: 'session-expires', value: `${secs};refresher=${offer.refresher}` },
      secs,
      refresher: offer.refresher === 'uac' ? 'them' : 'us',
    };
  }

  /**
   * A 200 to an INVITE the app (or the edge's refresh) sent: a Session-Expires in it (re)arms the timer,
   * with us as refresher unless it names the UAS (processResponseOutsideDialog, processResponseInsideDialog).
   * No minimum applies here.
   */
  onUacAnswer(dialog: Dialog, res: SipResponse): void {
    const se = parseSessionExpires(res.headers.get('session-expires'));
    if (se) this.arm(dialog, se.secs, !se.refresher || se.refresher === 'uac' ? 'us' : 'them');
  }

  /**
   * A re-INVITE or UPDATE from the peer (SipDialogController::processRequestInsideDialog): it stops the
   * running timer; with a Session-Expires below MIN_SE it is answered 422 here and never reaches the app
   * (returns true); with one it re-arms the timer, the peer refreshing when it says `uac` or when it gives no
   * refresher and we were refresher (drachtio's rule, kept as is).
   */
  refusesPeerRefresh(dialog: Dialog, req: SipRequest, txn: ServerTransaction, topVia: string): boolean {
    if (req.method !== 'INVITE' && req.method !== 'UPDATE') return false;
    const weWereRefresher = dialog.sessionTimer?.refresher === 'us';
    dialog.stopSessionTimer();
    const se = parseSessionExpires(req.headers.get('session-expires'));
    if (!se) return false;
    if (se.secs < MIN_SE) {
      const minSe = [{ name: 'Min-SE', key: 'min-se', value: String(MIN_SE) }];
      txn.respond(422, buildServerResponse(req, topVia, 422, 'Session Interval Too Small', dialog.localTag, { headers: minSe }));
      return true;
    }
    this.arm(dialog, se.secs, (!se.refresher && weWereRefresher) || se.refresher === 'uac' ? 'them' : 'us');
    return false;
  }

  /** notifyTerminateStaleDialog: BYE with "Session timer expired", unsolicited BYE to the app, cdr:stop. */
  expire(dialog: Dialog): void {
    this.bye().send(dialog, BYE_REASON_SESSION_EXPIRED, 'session-expired');
  }

  private bye(): UnsolicitedBye {
    return (this.byeSender ??= new UnsolicitedBye(this.ctx));
  }

  /** notifyRefreshDialog: re-INVITE with `Session-Expires: <secs>;refresher=uac`, Min-SE and the last local SDP. */
  private refresh(dialog: Dialog, secs: number): void {
    this.sendRefresh(dialog, secs).catch((err: unknown) => {
      this.ctx.logger.warn({ err, dialog: dialog.id }, 'could not send session refresh');
      this.expire(dialog);
    });
  }

  private async sendRefresh(dialog: Dialog, secs: number): Promise<void> {
    const peer = await dialogPeer(dialog);
    if (dialog.state === 'terminated') return;
    if (!peer) return this.expire(dialog);
    const local = this.ctx.local(peer.proto);
    const req = buildInDialogRequest(dialog, 'INVITE', local, {
      cseq: dialog.nextLocalCSeq(),
      headers: [
        { name: 'Session-Expires', key: 'session-expires', value: `${secs};refresher=uac` },
        { name: 'Min-SE', key: 'min-se', value: String(MIN_SE) },
      ],
      contact: dialog.localContact || undefined,
      body: dialog.localSdp?.body,
      contentType: dialog.localSdp?.contentType,
    });
    const user = new RefreshUser(this, dialog, secs, peer, req);
    this.ctx.tl.createClient(req.branch, 'INVITE', peer, req.buf, user, (res) => non2xxAck(req, res));
  }

  /** Sends the ACK for a 2xx to a refresh (a new transaction; its own branch). */
  sendAck(dialog: Dialog, cseq: number, peer: SipPeer): void {
    const ack = buildInDialogRequest(dialog, 'ACK', this.ctx.local(peer.proto), { cseq });
    this.ctx.send(peer, ack.buf);
  }
}

/**
 * Responses to one refresh re-INVITE (SipDialogController::processResponseToRefreshingReinvite): 200 re-arms
 * from its Session-Expires and is ACKed, 491 (glare) retries after the next half interval, any other final
 * response or a timeout ends the session.
 */
class RefreshUser implements ClientTransactionUser {
  private acked = false;

  constructor(
    private readonly timers: SessionTimers,
    private readonly dialog: Dialog,
    private readonly secs: number,
    private readonly peer: SipPeer,
    private readonly req: InDialogRequest,
  ) {}

  onResponse(_txn: ClientTransaction, status: number, response: unknown): void {
    if (status < 200 || this.dialog.state === 'terminated') return;
    const { msg } = response as NetworkResponse;
    if (status === 200) {
      if (this.acked) return this.timers.sendAck(this.dialog, this.req.cseq, this.peer); // a retransmitted 200
      this.acked = true;
      this.timers.onUacAnswer(this.dialog, msg);
      const contact = msg.headers.get('contact');
      if (contact) this.dialog.remoteTarget = uriOf(contact);
      this.timers.sendAck(this.dialog, this.req.cseq, this.peer);
      return;
    }
    if (status === 491) return this.timers.arm(this.dialog, this.secs, 'us');
    this.timers.expire(this.dialog);
  }

  onFailure(): void {
    if (this.dialog.state !== 'terminated') this.timers.expire(this.dialog);
  }
}

/** ACK for a non-2xx final response (§17.1.1.3): the INVITE's Via, Route and CSeq number, the response's To. */
function non2xxAck(req: InDialogRequest, response: unknown): Buffer {
  const { msg } = response as NetworkResponse;
  const stack: Array<[string, string]> = [['Via', req.via]];
  for (const r of req.routes) stack.push(['Route', r]);
  stack.push(['Max-Forwards', '70'], ['From', req.from], ['To', msg.headers.get('to') ?? req.to], ['Call-ID', msg.headers.get('call-id') ?? '']);
  stack.push(['CSeq', `${req.cseq} ACK`]);
  return assemble(`ACK ${req.uri} SIP/2.0`, stack, [], Buffer.alloc(0));
}
