import type { SipTimerConfig } from '../transaction/sip-timers';
import type { TimerHandle, TimerWheel } from '../transaction/timer-wheel';
import { isReliable, SendFn, SipPeer } from '../transaction/transaction-types';

/**
 * A UAS's 2xx to INVITE waiting for its ACK (RFC 3261 §13.3.1.4, RFC 6026): the 2xx is re-sent at T1,
 * 2·T1 … capped at T2 over UDP, and after 64·T1 without ACK the session is torn down [T15].
 */
export class AckWait {
  private retransmit?: TimerHandle;
  private readonly deadline: TimerHandle;
  private interval: number;
  private done = false;

  constructor(
    readonly inviteTxnId: string,
    private readonly response: Buffer,
    private readonly peer: SipPeer,
    private readonly deps: { wheel: TimerWheel; send: SendFn; timers: SipTimerConfig },
    private readonly onTimeout: () => void,
    private readonly onFinished: () => void,
  ) {
    this.interval = deps.timers.t1;
    if (!isReliable(peer.proto)) this.arm();
    this.deadline = deps.wheel.schedule(64 * deps.timers.t1, () => {
      this.finish();
      this.onTimeout();
    });
  }

  acked(): void {
    this.finish();
  }

  /** A retransmitted INVITE while we wait: repeat the 2xx (RFC 6026 §7.1 leaves this to the TU). */
  resend(): void {
    if (!this.done) this.deps.send(this.peer, this.response);
  }

  cancel(): void {
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.retransmit?.cancel();
    this.deadline.cancel();
    this.onFinished();
  }

  private arm(): void {
    this.retransmit = this.deps.wheel.schedule(this.interval, () => {
      if (this.done) return;
      this.deps.send(this.peer, this.response);
      this.interval = Math.min(this.interval * 2, this.deps.timers.t2);
      this.arm();
    });
  }
}
