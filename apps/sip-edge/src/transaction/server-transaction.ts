import { DEFAULT_TIMERS, nextInterval, SipTimerConfig, timerIK, timerJ } from './sip-timers';
import type { TimerHandle, TimerWheel } from './timer-wheel';
import { isReliable, SendFn, SipPeer } from './transaction-types';

export type ServerState = 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

export interface ServerTransactionDeps {
  wheel: TimerWheel;
  send: SendFn;
  timers?: SipTimerConfig;
  onTerminated: (txn: ServerTransaction) => void;
  /** A non-INVITE transaction sent its final response (it lingers for Timer J only to absorb retransmissions). */
  onCompleted?: (txn: ServerTransaction) => void;
  /**
   * Keeps a completed non-INVITE transaction over UDP for Timer J and then terminates it. The layer does
   * this for all of them in one queue; without it, each one gets a wheel timer.
   */
  linger?: (txn: ServerTransaction) => void;
}

/** What only an INVITE transaction needs: Timer G's state and the Timer H callback. */
interface InviteState {
  interval: number;
  retransmit?: TimerHandle;
  onAckTimeout?: (txn: ServerTransaction) => void;
}

/**
 * RFC 3261 §17.2 server transaction, INVITE (§17.2.1 with the RFC 6026 Accepted state) and non-INVITE
 * (§17.2.2). It owns retransmission of its last response; 2xx retransmission for INVITE is the dialog
 * layer's job (RFC 6026 §7.1), so here a 2xx only moves the transaction to Accepted (Timer L).
 *
 * At a few thousand requests per second over UDP several hundred thousand of these sit in Completed for
 * Timer J's 32 s, so a lingering one holds little: its key, its peer and its last response, kept as a
 * one-byte string in the V8 heap (not a Buffer: a small Buffer pins an 8 KiB slab of malloc'd memory, and
 * those slabs interleaved with short-lived ones are what malloc then cannot give back).
 */
export class ServerTransaction {
  state: ServerState;
  lastStatus = 0;
  /** Free slot for the layer above (the edge keeps its per-request context here). */
  context?: unknown;
  /** Call-ID|From-tag|CSeq|method when the request had no To-tag (merged-request detection). */
  mergedKey?: string;
  /** The last response sent; latin1 text (byte for byte) once the transaction lingers in Completed. */
  private response?: Buffer | string;
  private timeout?: TimerHandle;
  private readonly invite?: InviteState;

  constructor(
    readonly key: string,
    readonly method: string,
    readonly peer: SipPeer,
    private readonly deps: ServerTransactionDeps,
    onAckTimeout?: (txn: ServerTransaction) => void,
  ) {
    if (method === 'INVITE') {
      this.state = 'proceeding';
      this.invite = { interval: this.timers.t1, onAckTimeout };
    } else this.state = 'trying';
  }

  get isInvite(): boolean {
    return this.method === 'INVITE';
  }

  get isFinal(): boolean {
    return this.lastStatus >= 200;
  }

  /** The last response sent (provisional or final), if any. */
  get lastResponse(): Buffer | undefined {
    const r = this.response;
    return typeof r === 'string' ? Buffer.from(r, 'latin1') : r;
  }

  private get timers(): SipTimerConfig {
    return this.deps.timers ?? DEFAULT_TIMERS;
  }

  private get reliable(): boolean {
    return isReliable(this.peer.proto);
  }

  /** Sends a response from the TU; returns false if the transaction can no longer send one. */
  respond(status: number, text: Buffer, onError?: (err: Error) => void): boolean {
    if (this.state === 'terminated' || this.state === 'completed' || this.state === 'confirmed') return false;
    if (this.state === 'accepted') {
      // RFC 6026: further 2xx for the same INVITE may still be passed down; nothing else.
      if (status < 200 || status >= 300) return false;
      this.deps.send(this.peer, text, onError);
      return true;
    }
    this.response = text;
    this.lastStatus = status;
    this.deps.send(this.peer, text, onError);
    if (status < 200) {
      if (this.state === 'trying') this.state = 'proceeding';
      return true;
    }
    const invite = this.invite;
    if (invite) {
      if (status < 300) {
        this.state = 'accepted';
        // Retransmitting a 2xx is the dialog layer's job (RFC 6026 §7.1): nothing to keep for Timer L.
        this.response = undefined;
        this.timeout = this.deps.wheel.schedule(64 * this.timers.t1, () => this.terminate());
      } else {
        this.state = 'completed';
        // Kept until the ACK (Timer H, 32 s): as text in the V8 heap, like a lingering non-INVITE response.
        this.response = text.toString('latin1');
        if (!this.reliable) this.armTimerG(invite);
        this.timeout = this.deps.wheel.schedule(64 * this.timers.t1, () => {
          invite.onAckTimeout?.(this);
          this.terminate();
        });
      }
      return true;
    }
    this.state = 'completed';
    this.deps.onCompleted?.(this);
    const j = timerJ(this.timers, this.reliable);
    if (j === 0) {
      this.terminate();
      return true;
    }
    // Only retransmissions of the request concern it from now on: nothing the TU hung on it is needed.
    this.context = undefined;
    if (this.deps.linger) {
      this.response = text.toString('latin1');
      this.deps.linger(this);
    } else this.timeout = this.deps.wheel.schedule(j, () => this.terminate());
    return true;
  }

  /** A retransmission of the request arrived: repeat the last response, if any (§17.2.1, §17.2.2). */
  onRequestRetransmission(): void {
    if (this.state === 'proceeding' || this.state === 'completed') {
      const response = this.lastResponse;
      if (response) this.deps.send(this.peer, response);
    }
  }

  /** ACK for a non-2xx final response (same branch). Returns true if it was absorbed here. */
  onAck(): boolean {
    if (this.state === 'completed' && this.invite) {
      this.state = 'confirmed';
      this.response = undefined;
      this.invite.retransmit?.cancel();
      this.timeout?.cancel();
      const i = timerIK(this.timers, this.reliable);
      if (i === 0) this.terminate();
      else this.timeout = this.deps.wheel.schedule(i, () => this.terminate());
      return true;
    }
    return this.state === 'confirmed';
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.invite?.retransmit?.cancel();
    this.timeout?.cancel();
    this.timeout = undefined;
    this.response = undefined;
    this.deps.onTerminated(this);
  }

  private armTimerG(invite: InviteState): void {
    invite.retransmit = this.deps.wheel.schedule(invite.interval, () => {
      const response = this.response;
      if (this.state !== 'completed' || !response) return;
      this.deps.send(this.peer, typeof response === 'string' ? Buffer.from(response, 'latin1') : response);
      invite.interval = nextInterval(this.timers, invite.interval, true);
      this.armTimerG(invite);
    });
  }
}
