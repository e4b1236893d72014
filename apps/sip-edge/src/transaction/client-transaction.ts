import { DEFAULT_TIMERS, nextInterval, SipTimerConfig, timerB, timerD, timerIK } from './sip-timers';
import type { TimerHandle, TimerWheel } from './timer-wheel';
import { isReliable, SendFn, SipPeer } from './transaction-types';

/** Proxy Timer C, reused as the bound on how long an app's INVITE may ring. */
const TIMER_C_MS = 185_000;

export type ClientState = 'calling' | 'trying' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

export interface ClientTransactionUser {
  /** A response the TU must see (provisional, first final, and for INVITE every 2xx while Accepted). */
  onResponse(txn: ClientTransaction, status: number, response: unknown): void;
  /** Timer B/F fired, or the transport failed: the TU should act as if a 408/503 arrived. */
  onFailure(txn: ClientTransaction, status: 408 | 503, reason: string): void;
}

export interface ClientTransactionDeps {
  wheel: TimerWheel;
  send: SendFn;
  timers?: SipTimerConfig;
  onTerminated: (txn: ClientTransaction) => void;
}

/**
 * RFC 3261 §17.1 client transaction, INVITE (§17.1.1, with RFC 6026's Accepted state and Timer M) and
 * non-INVITE (§17.1.2). For a non-2xx final response to an INVITE the ACK is generated here (`buildAck`)
 * and repeated for every retransmitted final response while Timer D runs.
 */
export class ClientTransaction {
  state: ClientState;
  context?: unknown;
  private readonly reliable: boolean;
  private readonly timers: SipTimerConfig;
  private retransmit?: TimerHandle;
  private timeout?: TimerHandle;
  private interval: number;
  private ackText?: Buffer;
  /** The request, for retransmissions; dropped once a final response makes them pointless. */
  private request?: Buffer;

  constructor(
    readonly key: string,
    readonly method: string,
    readonly peer: SipPeer,
    request: Buffer,
    private readonly tu: ClientTransactionUser,
    private readonly deps: ClientTransactionDeps,
    private readonly buildAck?: (response: unknown) => Buffer,
  ) {
    this.reliable = isReliable(peer.proto);
    this.request = request;
    this.timers = deps.timers ?? DEFAULT_TIMERS;
    this.interval = this.timers.t1;
    this.state = method === 'INVITE' ? 'calling' : 'trying';
  }

  get isInvite(): boolean {
    return this.method === 'INVITE';
  }

  start(): void {
    if (this.request) this.deps.send(this.peer, this.request, (err) => this.fail(503, err.message));
    if (!this.reliable) this.armRetransmit();
    this.timeout = this.deps.wheel.schedule(timerB(this.timers), () => this.fail(408, 'Request Timeout'));
  }

  onResponse(status: number, response: unknown): void {
    if (this.state === 'terminated') return;
    if (status < 200) {
      if (this.state === 'calling' || this.state === 'trying' || this.state === 'proceeding') {
        const wasRetransmitting = this.state !== 'proceeding';
        this.state = 'proceeding';
        if (this.isInvite) {
          if (wasRetransmitting) {
            // Timer B only runs in Calling; a ringing INVITE is bounded by Timer C (§16.6, > 3 min).
            this.retransmit?.cancel();
            this.timeout?.cancel();
            this.timeout = this.deps.wheel.schedule(TIMER_C_MS, () => this.fail(408, 'Request Timeout'));
          }
        } else if (wasRetransmitting && !this.reliable) {
          // §17.1.2.2: in Proceeding, Timer E fires every T2.
          this.retransmit?.cancel();
          this.interval = this.timers.t2;
          this.armRetransmit();
        }
        this.tu.onResponse(this, status, response);
      }
      return;
    }
    if (this.isInvite) return this.onInviteFinal(status, response);
    if (this.state === 'completed') return;
    this.state = 'completed';
    this.request = undefined;
    this.retransmit?.cancel();
    this.timeout?.cancel();
    this.tu.onResponse(this, status, response);
    const k = timerIK(this.timers, this.reliable);
    if (k === 0) this.terminate();
    else this.timeout = this.deps.wheel.schedule(k, () => this.terminate());
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.request = undefined;
    this.retransmit?.cancel();
    this.timeout?.cancel();
    this.deps.onTerminated(this);
  }

  private onInviteFinal(status: number, response: unknown): void {
    if (status < 300) {
      if (this.state === 'calling' || this.state === 'proceeding') {
        this.state = 'accepted';
        this.request = undefined;
        this.retransmit?.cancel();
        this.timeout?.cancel();
        this.timeout = this.deps.wheel.schedule(64 * this.timers.t1, () => this.terminate());
        this.tu.onResponse(this, status, response);
      } else if (this.state === 'accepted') {
        // RFC 6026 §8.4: retransmitted 2xx go to the TU, which re-sends its ACK.
        this.tu.onResponse(this, status, response);
      }
      return;
    }
    if (this.state === 'completed') {
      if (this.ackText) this.deps.send(this.peer, this.ackText);
      return;
    }
    if (this.state !== 'calling' && this.state !== 'proceeding') return;
    this.state = 'completed';
    this.request = undefined;
    this.retransmit?.cancel();
    this.timeout?.cancel();
    if (this.buildAck) {
      this.ackText = this.buildAck(response);
      this.deps.send(this.peer, this.ackText);
    }
    this.tu.onResponse(this, status, response);
    const d = timerD(this.timers, this.reliable);
    if (d === 0) this.terminate();
    else this.timeout = this.deps.wheel.schedule(d, () => this.terminate());
  }

  private fail(status: 408 | 503, reason: string): void {
    if (this.state === 'terminated' || this.state === 'completed' || this.state === 'accepted') return;
    this.terminate();
    this.tu.onFailure(this, status, reason);
  }

  private armRetransmit(): void {
    this.retransmit = this.deps.wheel.schedule(this.interval, () => {
      const active = this.isInvite ? this.state === 'calling' : this.state === 'trying' || this.state === 'proceeding';
      if (!active) return;
      if (!this.request) return;
      this.deps.send(this.peer, this.request);
      this.interval = this.state === 'proceeding' ? this.timers.t2 : nextInterval(this.timers, this.interval, !this.isInvite);
      this.armRetransmit();
    });
  }
}
