import type { TimerHandle } from '../transaction/timer-wheel';
import type { SipPeer } from '../transaction/transaction-types';

export type DialogRole = 'uac' | 'uas';
/** Who must refresh the session (RFC 4028): we send re-INVITEs, or they must and we end a stale one. */
export type SessionRefresher = 'us' | 'them';

/** An armed RFC 4028 session timer: fires at half the interval as refresher, at its end otherwise. */
export interface SessionTimerState {
  secs: number;
  refresher: SessionRefresher;
  handle: TimerHandle;
  /** When the session runs out (Date.now() scale, session-timer scale applied) unless refreshed before. */
  expiresAt: number;
}
export type DialogState = 'early' | 'confirmed' | 'failed' | 'terminated';

/**
 * RFC 3261 §12 dialog state, as far as the edge needs it to finish an app's in-dialog request:
 * `sip||<dialog id>` + `BYE sip:placeholder` must leave with the right URI, tags, CSeq and Route.
 */
export class Dialog {
  state: DialogState = 'early';
  remoteTag = '';
  /** Remote Contact URI (target of in-dialog requests). */
  remoteTarget = '';
  /** Route set as URIs in the order they go into Route headers. */
  routeSet: string[] = [];
  /** Full From/To values for our side and theirs, without tags (e.g. `sipp <sip:sipp@127.0.0.1:5391>`). */
  localAddr = '';
  remoteAddr = '';
  localCSeq = 0;
  remoteCSeq = 0;
  /** CSeq number of the INVITE that created or last refreshed the session (for ACK). */
  inviteCSeq = 0;
  localContact = '';
  /** Where the dialog's peer was reached (connection-oriented transports reuse their connection). */
  peer?: SipPeer;
  /** Txn id of the INVITE that created the dialog; a relayed ACK carries it [T04]. */
  inviteTxnId = '';
  /** The app connection that owns the dialog (§5). */
  ownerId = 0;
  /** Last ACK we sent for a 2xx, re-sent when that 2xx is retransmitted. */
  lastAck?: { cseq: number; text: Buffer; peer: SipPeer };
  /** Our last SDP offer or answer; a session refresh re-sends it (drachtio notifyRefreshDialog). */
  localSdp?: { body: Buffer; contentType: string };
  sessionTimer?: SessionTimerState;
  /** Min-SE in force (RFC 4028 §4): drachtio's 90 s, raised by a peer's Min-SE or a 422 to our refresh. */
  minSE = 90;
  /** Txn id of the app's INVITE in this dialog still waiting for a final response (an app BYE CANCELs it). */
  pendingInviteTxnId?: string;

  constructor(
    readonly id: string,
    readonly role: DialogRole,
    readonly callId: string,
    readonly localTag: string,
  ) {}

  stopSessionTimer(): void {
    this.sessionTimer?.handle.cancel();
    this.sessionTimer = undefined;
  }

  nextLocalCSeq(): number {
    if (this.localCSeq === 0) this.localCSeq = Math.floor(Math.random() * 100_000_000) + 1;
    else this.localCSeq++;
    return this.localCSeq;
  }
}

/** drachtio's dialog id: `<Call-ID>;from-tag=<From tag of the dialog-creating request>` (§5). */
export function dialogId(callId: string, creatorFromTag: string): string {
  return `${callId};from-tag=${creatorFromTag}`;
}
