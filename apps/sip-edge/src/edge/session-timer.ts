import type { Dialog, SessionRefresher, SessionTimerState } from '../dialog/dialog';
import type { SipRequest, SipResponse } from '../sip/message';
import type { ClientTransaction, ClientTransactionUser } from '../transaction/client-transaction';
import type { ServerTransaction } from '../transaction/server-transaction';
import type { SipPeer } from '../transaction/transaction-types';
import type { AppHeader } from './app-message';
import type { NetworkResponse } from './client-response.relay';
import type { EdgeContext } from './edge-context';
import { buildInDialogRequest, type InDialogRequest } from './in-dialog-request';
import { uriOf } from './outgoing-message';
import { non2xxAck } from './cancel-request';
import { BUSY_RETRY_MS, hasOption, JITTER_MS, MAX_SE, MIN_SE, parseMinSE, parseSessionExpires, RETRY_MIN_REMAINING_MS } from './session-expires';
import { buildServerResponse } from './response-builder';
import { dialogPeer } from './target-resolver';
import { BYE_REASON_SESSION_EXPIRED, UnsolicitedBye } from './unsolicited-bye';

/** What the app's 200 to an initial INVITE starts: headers for the 200, the interval, who refreshes. */
export interface SessionAnswer {
  headers: AppHeader[];
  secs: number;
  refresher: SessionRefresher;
  /** Min-SE in force for the dialog (ours or the INVITE's, whichever is larger). */
  minSE: number;
}

/**
 * RFC 4028 session timers the way drachtio-server runs them for the apps' dialogs (SipDialog session timer,
 * SipDialogController::notifyRefreshDialog / notifyTerminateStaleDialog). As refresher the edge sends a
 * re-INVITE with the last local SDP at half the interval; it never tells the app, and the responses stay
 * here. When the peer is refresher and nothing refreshes the session by the end of the interval, the edge
 * sends BYE "Session timer expired" and the app gets it as an unsolicited BYE. Timers live on the dialog
 * and are cancelled when it ends (DialogStore.remove).
 *
 * Where the edge goes beyond drachtio (RFC 4028 §10, RFC 3261 §12.2.1.2, §14.1):
 * - Only a 408, a 481 or no answer at all to a refresh ends the dialog at once. A 422 is retried at once with
 *   the Min-SE it names, a 491 after 2.1–4 s, any other failure after half the time left (while 32 s or more
 *   are left); when the session runs out without a successful refresh the edge sends BYE.
 * - No refresh starts while an INVITE transaction is in progress in the dialog (the app's, or the peer's
 *   still unanswered or unACKed); it is tried again 2 s later.
 * - A peer's interval is never below the Min-SE in force (90 s or a larger one it asked for), nor above MAX_SE.
 * - A refresh offers the last SDP the app sent in the dialog (INVITE, 2xx or, for a late offer, the ACK);
 *   when the app never sent one it is an UPDATE without a body (RFC 4028 §7.4), so there is no offer in a
 *   2xx the edge could not answer.
 */
export class SessionTimers {
  /**
   * Multiplies every session-timer delay. 1 in production; tests shrink it, since drachtio's 90 s
   * minimum would otherwise make each refresh take most of a minute.
   */
  scale = 1;
  private byeSender?: UnsolicitedBye;

  constructor(private readonly ctx: EdgeContext) {}

  /**
   * SipDialog::setSessionTimer: replaces any armed timer. The interval is bounded to [dialog.minSE, MAX_SE];
   * the session now expires `secs` from now.
   */
  arm(dialog: Dialog, secs: number, refresher: SessionRefresher): void {
    dialog.stopSessionTimer();
    if (dialog.state === 'terminated' || !(secs > 0)) return;
    secs = Math.min(MAX_SE, Math.max(dialog.minSE, Math.round(secs)));
    let ms = secs * 1000;
    if (refresher === 'us') {
      ms /= 2;
      // drachtio's ±5 s, bounded so that a short interval (a peer may answer with any value) never fires at once.
      const bound = Math.min(JITTER_MS, ms / 4);
      ms += (Math.random() * 2 - 1) * bound;
    }
    const expiresAt = Date.now() + secs * 1000 * this.scale;
    this.schedule(dialog, { secs, refresher, expiresAt }, ms * this.scale, refresher === 'them');
  }

  /**
   * Arms the one timer of a dialog: in `delayMs` (already scaled) a refresh attempt, or with `last` (or
   * once the session has run out) the end of the session. Never hands the wheel a non-finite or
   * non-positive delay.
   */
  private schedule(dialog: Dialog, st: Omit<SessionTimerState, 'handle'>, delayMs: number, last: boolean): void {
    dialog.stopSessionTimer();
    if (dialog.state === 'terminated') return;
    if (!Number.isFinite(delayMs) || !Number.isFinite(st.expiresAt)) {
      this.ctx.logger.warn({ dialog: dialog.id, delayMs }, 'session timer not armed: bad delay');
      return;
    }
    const handle = this.ctx.tl.wheel.schedule(Math.max(1, delayMs), () => {
      if (dialog.sessionTimer?.handle !== handle) return;
      dialog.sessionTimer = undefined;
      if (dialog.state === 'terminated') return;
      if (last || Date.now() >= st.expiresAt) this.expire(dialog);
      else this.attempt(dialog, st);
    });
    dialog.sessionTimer = { ...st, handle };
  }

  /** Tries again `delayMs` (unscaled) from now, or ends the session when it runs out first. */
  private retry(dialog: Dialog, st: Omit<SessionTimerState, 'handle'>, delayMs: number): void {
    const left = st.expiresAt - Date.now();
    const wait = delayMs * this.scale;
    if (wait < left) this.schedule(dialog, st, wait, false);
    else this.schedule(dialog, st, left, true);
  }

  /** Time for a refresh: unless an INVITE transaction is in progress in the dialog (RFC 3261 §14.1). */
  private attempt(dialog: Dialog, st: Omit<SessionTimerState, 'handle'>): void {
    if (this.inviteInProgress(dialog)) return this.retry(dialog, st, BUSY_RETRY_MS);
    this.refresh(dialog, st);
  }

  private inviteInProgress(dialog: Dialog): boolean {
    if (dialog.pendingInviteTxnId || this.ctx.ackWaits.has(dialog.id)) return true;
    for (const rec of this.ctx.pendingServer.values()) if (rec.dialog === dialog && rec.req.method === 'INVITE') return true;
    return false;
  }

  /**
   * The app's 200 to an initial INVITE (doRespondToSipRequest). The app's own Session-Expires wins
   * (refresher absent or `uac`: the caller refreshes). Otherwise, if the INVITE offered one with a
   * refresher, the edge answers with it and arms the timer; an offer without refresher is left alone
   * (drachtio's default-refresher "none"). The interval is at least MIN_SE and the INVITE's Min-SE. When the
   * 200 carries Session-Expires and the INVITE said `Supported: timer`, the 200 gets `Require: timer`
   * unless the app put it there (RFC 4028 §9). Returns what to arm once the 200 is sent (start()) and the
   * headers to add to it.
   */
  answerInvite(req: SipRequest, appValue: string | undefined, appRequire?: string): SessionAnswer | undefined {
    const minSE = Math.max(MIN_SE, parseMinSE(req.headers.get('min-se')) ?? 0);
    const requireTimer = (): AppHeader[] =>
      hasOption(req.headers.getAll('supported'), 'timer') && !hasOption(appRequire ? [appRequire] : [], 'timer')
        ? [{ name: 'Require', key: 'require', value: 'timer' }]
        : [];
    const app = parseSessionExpires(appValue);
    if (app) return { headers: requireTimer(), secs: Math.max(minSE, app.secs), refresher: app.refresher === 'uas' ? 'us' : 'them', minSE };
    const offer = parseSessionExpires(req.headers.get('session-expires'));
    if (!offer?.refresher) return undefined;
    const secs = Math.max(minSE, offer.secs);
    return {
      headers: [{ name: 'Session-Expires', key: 'session-expires', value: `${secs};refresher=${offer.refresher}` }, ...requireTimer()],
      secs,
      refresher: offer.refresher === 'uac' ? 'them' : 'us',
      minSE,
    };
  }

  /** Arms what answerInvite decided, once the 200 is sent and the dialog exists. */
  start(dialog: Dialog, answer: SessionAnswer): void {
    dialog.minSE = Math.max(dialog.minSE, answer.minSE);
    this.arm(dialog, answer.secs, answer.refresher);
  }

  /**
   * A 2xx to an INVITE the app (or the edge's refresh) sent: a Session-Expires in it (re)arms the timer,
   * with us as refresher unless it names the UAS (processResponseOutsideDialog, processResponseInsideDialog).
   * The interval is raised to the Min-SE in force (a peer answering `Session-Expires: 1` would otherwise
   * be refreshed twice a second).
   */
  onUacAnswer(dialog: Dialog, res: SipResponse): void {
    const se = parseSessionExpires(res.headers.get('session-expires'));
    if (se) this.arm(dialog, se.secs, !se.refresher || se.refresher === 'uac' ? 'us' : 'them');
  }

  /**
   * A re-INVITE or UPDATE from the peer (SipDialogController::processRequestInsideDialog): with a
   * Session-Expires below MIN_SE it is answered 422 here and never reaches the app (returns true), and the
   * running timer stays as it was; with one it re-arms the timer, the peer refreshing when it says `uac` or
   * when it gives no refresher and we were refresher (drachtio's rule, kept as is); without one (or an
   * invalid one) the timer stops. A Min-SE in it raises the dialog's.
   */
  refusesPeerRefresh(dialog: Dialog, req: SipRequest, txn: ServerTransaction, topVia: string): boolean {
    if (req.method !== 'INVITE' && req.method !== 'UPDATE') return false;
    const se = parseSessionExpires(req.headers.get('session-expires'));
    if (se && se.secs < MIN_SE) {
      const minSe = [{ name: 'Min-SE', key: 'min-se', value: String(MIN_SE) }];
      txn.respond(422, buildServerResponse(req, topVia, 422, 'Session Interval Too Small', dialog.localTag, { headers: minSe }));
      return true;
    }
    const weWereRefresher = dialog.sessionTimer?.refresher === 'us';
    dialog.stopSessionTimer();
    if (!se) return false;
    dialog.minSE = Math.max(dialog.minSE, parseMinSE(req.headers.get('min-se')) ?? 0);
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

  /** notifyRefreshDialog: re-INVITE (or UPDATE) with `Session-Expires: <secs>;refresher=uac` and Min-SE. */
  private refresh(dialog: Dialog, st: Omit<SessionTimerState, 'handle'>): void {
    this.sendRefresh(dialog, st).catch((err: unknown) => {
      this.ctx.logger.warn({ err, dialog: dialog.id }, 'could not send session refresh');
      this.expire(dialog);
    });
  }

  private async sendRefresh(dialog: Dialog, st: Omit<SessionTimerState, 'handle'>): Promise<void> {
    const peer = await dialogPeer(dialog);
    if (dialog.state === 'terminated') return;
    if (!peer) return this.expire(dialog);
    const local = this.ctx.local(peer.proto);
    const sdp = dialog.localSdp;
    const method = sdp ? 'INVITE' : 'UPDATE';
    const cseq = dialog.nextLocalCSeq();
    const req = buildInDialogRequest(dialog, method, local, {
      cseq,
      headers: [
        { name: 'Session-Expires', key: 'session-expires', value: `${st.secs};refresher=uac` },
        { name: 'Min-SE', key: 'min-se', value: String(dialog.minSE) },
        { name: 'Supported', key: 'supported', value: 'timer' },
      ],
      contact: dialog.localContact || undefined,
      body: sdp?.body,
      contentType: sdp?.contentType,
    });
    const user = new RefreshUser(this, dialog, st, peer, req, method);
    const sent = { ...req, callId: dialog.callId, peer };
    const ack = method === 'INVITE' ? (res: unknown) => non2xxAck(sent, (res as NetworkResponse).msg.headers.get('to')) : undefined;
    this.ctx.tl.createClient(req.branch, method, peer, req.buf, user, ack);
  }

  /** Sends the ACK for a 2xx to a refresh (a new transaction; its own branch). */
  sendAck(dialog: Dialog, cseq: number, peer: SipPeer): void {
    const ack = buildInDialogRequest(dialog, 'ACK', this.ctx.local(peer.proto), { cseq });
    this.ctx.send(peer, ack.buf);
  }

  /**
   * A refresh failed. 408, 481 or no answer: the dialog is gone (RFC 3261 §12.2.1.2), BYE. 422: at once
   * again with its larger Min-SE. 491: again after 2.1–4 s (RFC 3261 §14.1). Anything else: the dialog stays
   * (RFC 4028 §10); again after half the time left while 32 s or more are left, else BYE when it runs out.
   * A timer armed meanwhile (the peer refreshed, the app's re-INVITE got one) wins over a retry.
   */
  onRefreshFailed(dialog: Dialog, st: Omit<SessionTimerState, 'handle'>, status: number, res?: SipResponse): void {
    if (dialog.state === 'terminated') return;
    if (status === 408 || status === 481 || status === 0) return this.expire(dialog);
    if (dialog.sessionTimer) return;
    if (status === 422) {
      const minSE = parseMinSE(res?.headers.get('min-se'));
      if (minSE !== undefined && minSE > st.secs) {
        dialog.minSE = Math.max(dialog.minSE, minSE);
        return this.refresh(dialog, { ...st, secs: minSE });
      }
    }
    if (status === 491) return this.retry(dialog, st, 2100 + Math.random() * 1900);
    const left = (st.expiresAt - Date.now()) / this.scale;
    if (left >= RETRY_MIN_REMAINING_MS) this.retry(dialog, st, left / 2);
    else this.retry(dialog, st, Infinity);
  }
}

/**
 * Responses to one refresh (SipDialogController::processResponseToRefreshingReinvite): a 2xx re-arms from
 * its Session-Expires and, to a re-INVITE, is ACKed (again when retransmitted); failures go to
 * SessionTimers.onRefreshFailed.
 */
class RefreshUser implements ClientTransactionUser {
  private answered = false;

  constructor(
    private readonly timers: SessionTimers,
    private readonly dialog: Dialog,
    private readonly st: Omit<SessionTimerState, 'handle'>,
    private readonly peer: SipPeer,
    private readonly req: InDialogRequest,
    private readonly method: 'INVITE' | 'UPDATE',
  ) {}

  onResponse(_txn: ClientTransaction, status: number, response: unknown): void {
    if (status < 200 || this.dialog.state === 'terminated') return;
    const { msg } = response as NetworkResponse;
    if (status < 300) {
      if (this.answered) {
        if (this.method === 'INVITE') this.timers.sendAck(this.dialog, this.req.cseq, this.peer); // a retransmitted 2xx
        return;
      }
      this.answered = true;
      this.timers.onUacAnswer(this.dialog, msg);
      const contact = msg.headers.get('contact');
      if (contact) this.dialog.remoteTarget = uriOf(contact);
      if (this.method === 'INVITE') this.timers.sendAck(this.dialog, this.req.cseq, this.peer);
      return;
    }
    if (this.answered) return;
    this.answered = true;
    this.timers.onRefreshFailed(this.dialog, this.st, status, msg);
  }

  onFailure(): void {
    if (this.answered) return;
    this.answered = true;
    this.timers.onRefreshFailed(this.dialog, this.st, 0);
  }
}
