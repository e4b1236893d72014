import { callCost, runningSpendCheck, type Authorisation, type CallCounters, type EnforcementTarget } from '@pbx/call-control';
import type { Logger } from 'pino';

export interface CallGuardDeps {
  counters: CallCounters;
  /** Raises the lock level of a crossed cap (enforceDecision). */
  escalate: (target: EnforcementTarget) => Promise<unknown>;
  leaseMs: number;
  accrualMs: number;
}

/**
 * What the fraud gate asks of one call while it runs, beside its CallSession: renew the concurrency
 * lease, end both legs at the max duration, and accrue the spend of an answered call every few
 * seconds so a call that crosses a cap is ended (and the cap's lock escalated) then, not at hang-up.
 * `stop` releases the slot and books the last seconds.
 */
export class CallGuard {
  private readonly timers: NodeJS.Timeout[] = [];
  private answeredAt: number | null = null;
  private accrued = 0;
  private chain: Promise<void> = Promise.resolve();
  private capHit = false;
  private stopped = false;

  constructor(
    private readonly authorisation: Authorisation,
    private readonly deviceId: string,
    private readonly deps: CallGuardDeps,
    private readonly log: Logger,
    /** Ends the call on both legs. */
    private readonly end: (reason: string) => void,
  ) {}

  /** Spend booked so far (the CDR's cost once `stop` has run). */
  get cost(): number {
    return this.accrued;
  }

  start(): void {
    const lease = this.authorisation.lease;
    if (!lease) return;
    const renew = () =>
      this.deps.counters
        .renew(lease, Date.now(), this.deps.leaseMs)
        .then((held) => held || this.log.warn('call lease had lapsed; taken again'))
        .catch((err: unknown) => this.log.warn({ err }, 'call lease not renewed'));
    this.every(Math.max(100, Math.floor(this.deps.leaseMs / 3)), renew);
  }

  answered(at: number): void {
    if (this.stopped) return;
    this.answeredAt = at;
    const max = this.authorisation.decision.limits?.maxDurationSeconds;
    if (max !== undefined) {
      const rule = this.authorisation.decision.ruleId;
      this.timers.push(setTimeout(() => this.end(`max duration of ${max} s reached (${rule})`), max * 1000));
    }
    if (!this.authorisation.rate) return;
    this.accrue(at);
    this.every(this.deps.accrualMs, () => this.accrue(Date.now()));
  }

  /** The call ended at `endedAt`: books its last seconds and frees its slot. Returns its cost. */
  async stop(endedAt: number): Promise<number> {
    if (this.stopped) return this.accrued;
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    if (this.answeredAt !== null && this.authorisation.rate) this.accrue(endedAt, true);
    await this.chain;
    const lease = this.authorisation.lease;
    if (lease) await this.deps.counters.release(lease).catch((err: unknown) => this.log.warn({ err }, 'call lease not released'));
    return this.accrued;
  }

  private every(ms: number, run: () => unknown): void {
    const timer = setInterval(run, ms);
    timer.unref();
    this.timers.push(timer);
  }

  /** One accrual at a time, in order: each books the cost since the previous one. */
  private accrue(now: number, last = false): void {
    this.chain = this.chain.then(() => this.accrueOnce(now, last)).catch((err: unknown) => this.log.warn({ err }, 'call spend not accrued'));
  }

  private async accrueOnce(now: number, last: boolean): Promise<void> {
    if (this.answeredAt === null || (this.stopped && !last)) return;
    const { rate, policy, timezone } = this.authorisation;
    const total = callCost(rate, now - this.answeredAt);
    const delta = Math.round((total - this.accrued) * 1e6) / 1e6;
    if (delta <= 0) return;
    const after = await this.deps.counters.addSpend(policy.tenantId, delta, now, timezone);
    this.accrued = total;
    const crossed = runningSpendCheck(policy, after, delta);
    if (!crossed || this.capHit) return;
    this.capHit = true;
    this.log.warn({ rule: crossed.ruleId, spendToday: after.today, spendThisMonth: after.month }, 'spend cap crossed by a running call');
    if (!last) this.end(`spend cap crossed (${crossed.ruleId})`);
    if (crossed.escalateLockLevel !== undefined)
      await this.deps.escalate({ tenantId: policy.tenantId, deviceId: this.deviceId, decision: crossed });
  }
}
