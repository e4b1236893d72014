import { bestFailure, dispositionOf, type CallPlan, type Disposition, type Leg } from '@pbx/call-control';
import { putCall, removeCall, type CallEventJob, type CallEventType, type LiveCall } from '@pbx/common';
import type { CdrInsert, CdrsRepository } from '@pbx/database';
import type Srf from 'drachtio-srf';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { CallEventsPublisher } from './call-events.publisher';
import { CallFacts, type CallTimes } from './call-facts';
import { CallGuard, type CallGuardDeps } from './call-guard';
import type { CallJournal } from './call-journal';
import type { ActiveCall } from './call-registry';
import type { TrunkDialer } from './trunk-dialer';
import { TrunkLeg } from './trunk-leg';
import type { MediaSession } from './media-session';

export interface CallSessionDeps {
  srf: Srf;
  redis: Redis;
  cdrs: CdrsRepository;
  events: CallEventsPublisher;
  journal: CallJournal;
  logger: Logger;
  ringTimeoutMs: number;
  /** The fraud gate's side of a running call (leases, max duration, spend); absent without a gate. */
  gate?: CallGuardDeps;
  /** Places outbound calls on trunks (plans whose target is a trunk). */
  trunkDialer?: TrunkDialer;
  onFinished: (disposition: Disposition) => void;
  /** The call's media at rtpengine; without it the SDP passes end to end. */
  media?: MediaSession;
}

interface Branch {
  leg: Leg;
  request?: Srf.SrfRequest;
  cancelWanted: boolean;
  settled: boolean;
}

type SipError = Error & { status?: number };

/**
 * One call through the B2BUA: the caller's leg (A) and, while it rings, a branch per registered phone
 * of the dialed extension, all at once; the first to answer becomes leg B and the others are
 * cancelled. Owns the call's live record, its events and, when it ends however it ends, its CDR.
 */
export class CallSession implements ActiveCall {
  readonly callId: string;
  readonly tenantId: string;
  readonly finished: Promise<void>;
  private resolveFinished!: () => void;
  private readonly log: Logger;
  private readonly startedAt = Date.now();
  private answeredAt: number | null = null;
  private readonly branches: Branch[] = [];
  private uas?: Srf.Dialog;
  private uac?: Srf.Dialog;
  private answeredBy?: string;
  private ringingSent = false;
  private cancelled = false;
  private ended = false;
  private endCause = '';
  /** Its side on a carrier (outbound or inbound): the trunk, its channel, the INVITE ringing there. */
  private readonly trunk: TrunkLeg;
  /** What the callee legs are offered: the caller's offer as rtpengine rewrote it. */
  private offerSdp?: string;
  private readonly guard?: CallGuard;
  private readonly facts: CallFacts;

  constructor(
    private readonly req: Srf.SrfRequest,
    private readonly res: Srf.SrfResponse,
    private readonly plan: CallPlan,
    private readonly deps: CallSessionDeps,
  ) {
    this.callId = req.get('Call-ID');
    this.tenantId = plan.tenantId;
    this.finished = new Promise((r) => (this.resolveFinished = r));
    this.log = deps.logger.child({ callId: this.callId, tenantId: plan.tenantId });
    this.trunk = new TrunkLeg(plan, this.callId, deps.trunkDialer);
    this.facts = new CallFacts(plan, this.callId, () => this.trunk.trunkId);
    if (plan.authorisation && plan.caller.deviceId && deps.gate)
      this.guard = new CallGuard(plan.authorisation, plan.caller.deviceId, deps.gate, this.log, (reason) => this.end(reason));
  }

  async run(): Promise<void> {
    void this.deps.journal.record(this.cdr('failed', null, 'in progress'));
    void putCall(this.deps.redis, this.tenantId, this.live('ringing')).catch((err) => this.log.warn({ err }, 'live call not stored'));
    this.publish('call.started', this.startedAt);
    this.guard?.start();
    if (!(await this.trunk.holdInbound())) {
      this.res.send(503, 'Service Unavailable', { headers: { Warning: '399 pbx "trunk at max_channels"' } });
      return this.finish('failed', 503, 'trunk at max_channels');
    }
    this.req.on('cancel', () => {
      // drachtio has already answered the CANCEL with 200 and the INVITE with 487.
      this.cancelled = true;
      this.cancelBranches();
    });
    if (!(await this.anchorOffer())) return;
    const ringTimer = setTimeout(() => this.cancelBranches(), this.deps.ringTimeoutMs);
    const outcome =
      this.plan.target.kind === 'trunk'
        ? await this.trunk.dial(this.offerSdp ?? this.req.body, { onProvisional: (p) => this.onProvisional(p), stopped: () => this.cancelled || this.ended })
        : await this.fork();
    clearTimeout(ringTimer);
    if (!('dialog' in outcome)) {
      if (this.cancelled) return this.finish('cancelled', 487, 'caller cancelled');
      const status = this.ended ? 480 : outcome.status;
      this.res.send(status);
      return this.finish(dispositionOf(status), status, this.ended ? this.endCause : `callee answered ${status}`);
    }
    this.uac = outcome.dialog;
    try {
      const localSdp = this.deps.media ? await this.deps.media.answer(this.uac.remote.sdp) : this.uac.remote.sdp;
      this.uas = await this.deps.srf.createUAS(this.req, this.res, { localSdp });
    } catch (err) {
      // The caller went away (CANCEL crossed the 200), or rtpengine failed the answer: the callee's leg must not be left up.
      this.uac.destroy();
      if (!this.res.finalResponseSent) this.res.send(503, 'Service Unavailable', { headers: { 'Retry-After': '30' } });
      return this.finish(this.cancelled ? 'cancelled' : 'failed', this.cancelled ? 487 : 503, `caller leg lost: ${(err as Error).message}`);
    }
    this.answeredAt = Date.now();
    this.guard?.answered(this.answeredAt);
    void this.deps.journal.record(this.cdr('answered', null, 'in progress'));
    void putCall(this.deps.redis, this.tenantId, this.live('answered')).catch((err) => this.log.warn({ err }, 'live call not stored'));
    this.publish('call.answered', this.answeredAt);
    if (this.ended) return this.hangUp(this.endCause);
    this.deps.media?.attach(this.uas, this.uac, (reason) => this.end(reason));
    this.uas.on('destroy', () => {
      this.uac?.destroy();
      void this.finish('answered', 200, 'caller hung up');
    });
    this.uac.on('destroy', () => {
      this.uas?.destroy();
      void this.finish('answered', 200, 'callee hung up');
    });
  }

  involves(deviceId: string): boolean {
    return this.plan.caller.deviceId === deviceId || this.answeredBy === deviceId;
  }

  end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.endCause = reason;
    if (this.uas && this.uac) this.hangUp(reason);
    else this.cancelBranches();
  }

  private hangUp(reason: string): void {
    const headers = { Reason: `SIP;cause=503;text="${reason.replace(/"/g, '')}"` };
    this.uas?.destroy({ headers });
    this.uac?.destroy({ headers });
    void this.finish('answered', 200, reason);
  }

  /** Rings every leg at once; resolves with the first answer, or with the best failure when all failed. */
  private fork(): Promise<{ dialog: Srf.Dialog } | { status: number }> {
    return new Promise((resolve) => {
      const failures: number[] = [];
      let winner: Srf.Dialog | undefined;
      const settle = () => {
        if (!winner && this.branches.every((b) => b.settled)) resolve({ status: bestFailure(failures) });
      };
      const target = this.plan.target;
      const legs = target.kind === 'extension' ? target.legs : [];
      const to = target.kind === 'extension' ? target.number : target.e164;
      for (const leg of legs) {
        const b: Branch = { leg, cancelWanted: false, settled: false };
        this.branches.push(b);
        this.deps.srf
          .createUAC(
            leg.uri,
            {
              proxy: leg.proxy,
              localSdp: this.offerSdp,
              headers: {
                From: `<sip:${this.plan.caller.username}@${this.plan.realm}>`,
                To: `<sip:${to}@${this.plan.realm}>`,
              },
            },
            {
              // srf calls it as (err, request), whatever its typings say.
              cbRequest: ((_err: unknown, r: Srf.SrfRequest) => {
                b.request = r;
                if (b.cancelWanted) r.cancel(() => undefined);
              }) as unknown as (req: Srf.SrfRequest) => void,
              cbProvisional: (p) => this.onProvisional(p),
            },
          )
          .then((dialog) => {
            b.settled = true;
            if (winner || this.cancelled || this.ended) {
              dialog.destroy();
              return settle();
            }
            winner = dialog;
            this.answeredBy = leg.deviceId;
            this.cancelBranches(b);
            resolve({ dialog });
          })
          .catch((err: SipError) => {
            b.settled = true;
            failures.push(err.status ?? 503);
            settle();
          });
      }
    });
  }

  /** The offer through rtpengine before anything rings; false when the caller got a refusal (503, 488). */
  private async anchorOffer(): Promise<boolean> {
    const offer = this.plan.offer ?? this.req.body;
    const anchored = this.deps.media ? await this.deps.media.offer(offer) : { sdp: offer };
    if ('sdp' in anchored && !this.cancelled) {
      this.offerSdp = anchored.sdp;
      return true;
    }
    if ('refusal' in anchored) {
      const r = anchored.refusal;
      this.res.send(r.status, r.reason, { headers: { Warning: r.warning, ...(r.status === 503 ? { 'Retry-After': '30' } : {}) } });
      await this.finish(dispositionOf(r.status), r.status, r.why);
    } else await this.finish('cancelled', 487, 'caller cancelled');
    return false;
  }

  private onProvisional(p: Srf.SrfResponse): void {
    const body = (p as unknown as { body?: string }).body;
    if ((p as unknown as { status: number }).status === 183 && body && this.deps.media?.anchored && !this.cancelled) {
      // Early media: the callee's SDP through rtpengine, so the caller hears tones before the answer.
      this.ringingSent = true;
      void this.deps.media
        .answer(body)
        .then((sdp) => !this.res.finalResponseSent && this.res.send(183, { body: sdp, headers: { 'Content-Type': 'application/sdp' } }))
        .catch((err: Error) => this.log.warn({ err: err.message }, 'early media not relayed'));
      return;
    }
    if (this.ringingSent || this.cancelled || this.res.finalResponseSent) return;
    const status = (p as unknown as { status: number }).status;
    if (status !== 180 && status !== 183) return;
    this.ringingSent = true;
    this.res.send(180);
  }

  private cancelBranches(except?: Branch): void {
    this.trunk.cancel();
    for (const b of this.branches) {
      if (b === except || b.settled || b.cancelWanted) continue;
      b.cancelWanted = true;
      b.request?.cancel(() => undefined);
    }
  }

  private publish(type: CallEventType, at: number, extra: Partial<CallEventJob> = {}): void {
    this.deps.events.publish(this.facts.event(type, this.times(), extra), at);
  }

  private times(): CallTimes {
    return { startedAt: this.startedAt, answeredAt: this.answeredAt };
  }

  private live(state: LiveCall['state']): LiveCall {
    return this.facts.live(state, this.times());
  }

  private cdr(disposition: Disposition, endedAt: number | null, cause: string): CdrInsert {
    return this.facts.cdr(disposition, this.times(), endedAt, cause);
  }

  private finishing?: Promise<void>;

  /** Once per call, however it ends: the CDR, the live record, the event. */
  private finish(disposition: Disposition, status: number, cause: string): Promise<void> {
    this.finishing ??= this.writeRecord(disposition, status, cause).finally(() => this.resolveFinished());
    return this.finishing;
  }

  private async writeRecord(disposition: Disposition, status: number, cause: string): Promise<void> {
    const endedAt = Date.now();
    await this.trunk.release().catch((err) => this.log.warn({ err }, 'trunk channel not released'));
    const cost = (await this.guard?.stop(endedAt)) ?? 0;
    const row = { ...this.cdr(disposition, endedAt, `${status} ${cause}`), cost };
    this.log.info({ disposition, status, cause, durationSeconds: row.durationSeconds, billableSeconds: row.billableSeconds }, 'call ended');
    this.deps.onFinished(disposition);
    // Ended, not yet in Postgres: if this process dies now, another instance writes this very row.
    await this.deps.journal.record(row);
    row.mediaQuality = (await this.deps.media?.close().catch(() => null)) ?? null;
    try {
      await this.deps.cdrs.insert(row);
      await this.deps.journal.forget(this.tenantId, this.callId);
    } catch (err) {
      this.log.error({ err }, 'CDR not written (kept in the call journal for recovery)');
    }
    await removeCall(this.deps.redis, this.tenantId, this.callId).catch((err) => this.log.warn({ err }, 'live call not removed'));
    this.publish('call.ended', endedAt, { endedAt: new Date(endedAt).toISOString(), durationSeconds: row.billableSeconds, disposition, cost });
  }
}
