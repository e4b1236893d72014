import type { CallPlan, ChannelLease } from '@pbx/call-control';
import type Srf from 'drachtio-srf';
import type { TrunkDialer } from './trunk-dialer';

/**
 * A call's side on a carrier: the channel it holds on its trunk (calls both ways count against
 * max_channels), and for an outbound call the INVITE going out trunk after trunk, so a CANCEL can follow it.
 */
export class TrunkLeg {
  /** The trunk the call went out or came in on, once known. */
  trunkId: string | null;
  private request?: Srf.SrfRequest;
  private lease?: ChannelLease;

  constructor(
    private readonly plan: CallPlan,
    private readonly callId: string,
    private readonly dialer?: TrunkDialer,
  ) {
    this.trunkId = plan.caller.trunkId ?? null;
  }

  /** A call from a carrier takes a channel of its trunk; false when the trunk is full. */
  async holdInbound(): Promise<boolean> {
    const { trunkId, trunkMaxChannels } = this.plan.caller;
    if (this.plan.direction !== 'inbound' || !trunkId || !this.dialer) return true;
    const lease = await this.dialer.holdChannel(trunkId, trunkMaxChannels ?? null, this.callId);
    if (!lease) return false;
    this.lease = lease;
    return true;
  }

  /** The trunks of the route, one after the other; the dialog of the one that answered, or the final status. */
  async dial(
    localSdp: string,
    hooks: { onProvisional(res: Srf.SrfResponse): void; stopped(): boolean },
  ): Promise<{ dialog: Srf.Dialog } | { status: number }> {
    const target = this.plan.target;
    if (target.kind !== 'trunk' || !this.dialer) return { status: 503 };
    const result = await this.dialer.dial(
      {
        tenantId: this.plan.tenantId,
        callId: this.callId,
        e164: target.e164,
        callerNumber: this.plan.caller.number ?? this.plan.caller.username,
        realm: this.plan.realm,
        localSdp,
        attempts: target.attempts,
      },
      {
        onRequest: (r) => {
          this.request = r;
          if (hooks.stopped()) r.cancel(() => undefined);
        },
        onProvisional: (p) => hooks.onProvisional(p),
        stopped: hooks.stopped,
      },
    );
    this.request = undefined;
    if (!('dialog' in result)) return result;
    this.trunkId = result.attempt.trunkId;
    this.lease = result.lease;
    if (hooks.stopped()) {
      result.dialog.destroy();
      await this.release();
      return { status: 487 };
    }
    return { dialog: result.dialog };
  }

  /** Cancels the INVITE ringing at a carrier, if any. */
  cancel(): void {
    this.request?.cancel(() => undefined);
  }

  async release(): Promise<void> {
    const lease = this.lease;
    this.lease = undefined;
    await lease?.release();
  }
}
