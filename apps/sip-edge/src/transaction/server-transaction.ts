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
}

/**
 * RFC 3261 §17.2 server transaction, INVITE (§17.2.1 with the RFC 6026 Accepted state) and non-INVITE
 * (§17.2.2). It owns retransmission of its last response; 2xx retransmission for INVITE is the dialog
 * layer's job (RFC 6026 §7.1), so here a 2xx only moves the transaction to Accepted (Timer L).
 */
export class ServerTransaction {
  state: ServerState;
  lastResponse?: Buffer;
  lastStatus = 0;
  /** Free slot for the layer above (the edge keeps its per-request context here). */
  context?: unknown;
  /** Call-ID|From-tag|CSeq|method when the request had no To-tag (merged-request detection). */
  mergedKey?: string;
  private readonly reliable: boolean;
  private readonly timers: SipTimerConfig;
  private retransmit?: TimerHandle;
  private timeout?: TimerHandle;
  private interval: number;

  constructor(
    readonly key: string,
    readonly method: string,
    readonly peer: SipPeer,
    private readonly deps: ServerTransactionDeps,
    private readonly onAckTimeout?: (txn: ServerTransaction) => void,
  ) {
    this.reliable = isReliable(peer.proto);
    this.timers = deps.timers ?? DEFAULT_TIMERS;
    this.interval = this.timers.t1;
    this.state = method === 'INVITE' ? 'proceeding' : 'trying';
  }

  get isInvite(): boolean {
    return this.method === 'INVITE';
  }

  get isFinal(): boolean {
    return this.lastStatus >= 200;
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
    this.lastResponse = text;
    this.lastStatus = status;
    this.deps.send(this.peer, text, onError);
    if (status < 200) {
      if (this.state === 'trying') this.state = 'proceeding';
      return true;
    }
    if (this.isInvite) {
      if (status < 300) {
        this.state = 'accepted';
        this.timeout = this.deps.wheel.schedule(64 * this.timers.t1, () => this.terminate());
      } else {
        this.state = 'completed';
        if (!this.reliable) this.armTimerG();
        this.timeout = this.deps.wheel.schedule(64 * this.timers.t1, () => {
          this.onAckTimeout?.(this);
          this.terminate();
        });
      }
      return true;
    }
    this.state = 'completed';
    this.deps.onCompleted?.(this);
    const j = timerJ(this.timers, this.reliable);
    if (j === 0) this.terminate();
    else this.timeout = this.deps.wheel.schedule(j, () => this.terminate());
    return true;
  }

  /** A retransmission of the request arrived: repeat the last response, if any (§17.2.1, §17.2.2). */
  onRequestRetransmission(): void {
    if (this.state === 'proceeding' || this.state === 'completed') {
      if (this.lastResponse) this.deps.send(this.peer, this.lastResponse);
    }
  }

  /** ACK for a non-2xx final response (same branch). Returns true if it was absorbed here. */
  onAck(): boolean {
    if (this.state === 'completed' && this.isInvite) {
      this.state = 'confirmed';
      this.retransmit?.cancel();
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
    this.retransmit?.cancel();
    this.timeout?.cancel();
    this.deps.onTerminated(this);
  }

  private armTimerG(): void {
    this.retransmit = this.deps.wheel.schedule(this.interval, () => {
      if (this.state !== 'completed' || !this.lastResponse) return;
      this.deps.send(this.peer, this.lastResponse);
      this.interval = nextInterval(this.timers, this.interval, true);
      this.armTimerG();
    });
  }
}
