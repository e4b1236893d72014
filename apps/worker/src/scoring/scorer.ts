import { recordShortInbound, type CallEventJob } from '@pbx/common';
import {
  emptyDeviceState,
  emptyTenantState,
  isShortRiskyInbound,
  scoreEvent,
  toScoredEvent,
  type DeviceState,
  type Finding,
  type FraudContext,
  type ScoredEvent,
  type TenantState,
} from '@pbx/fraud';
import type Redis from 'ioredis';
import type { FindingSink } from './finding-sink';
import type { FraudContextSource } from './fraud-context.source';
import type { FraudStateStore, StateWrite } from './fraud-state.store';

interface Pending {
  job: CallEventJob;
  resolve: (findings: Finding[]) => void;
  reject: (err: unknown) => void;
}

export interface ScorerOptions {
  /** Events of one tenant scored in one load/commit round. */
  maxBatch?: number;
  /** Optimistic commits retried this often when another process changed the state meanwhile. */
  maxAttempts?: number;
}

export class ScoringConflictError extends Error {}

/**
 * Scores call events: loads the tenant's and devices' state, runs the pure detectors, commits the
 * state with the events marked scored (one Redis script, so a retried event never counts twice),
 * then hands the findings to the sink. Events of one tenant are scored in order in batches, one
 * batch at a time per process: the tenant's state is shared by all its devices, and batching keeps
 * it to two round trips for many events. Across processes, the versioned commit detects a race and
 * the batch is scored again on fresh state.
 */
export class Scorer {
  private readonly queues = new Map<string, Pending[]>();
  private readonly maxBatch: number;
  private readonly maxAttempts: number;

  constructor(
    private readonly store: FraudStateStore,
    private readonly contexts: FraudContextSource,
    private readonly sink: FindingSink,
    private readonly redis: Redis,
    options: ScorerOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 200;
    this.maxAttempts = options.maxAttempts ?? 20;
  }

  /** Resolves with the event's findings once its state is committed and the sink has them. */
  score(job: CallEventJob): Promise<Finding[]> {
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(job.tenantId);
      if (queue) return void queue.push({ job, resolve, reject });
      this.queues.set(job.tenantId, [{ job, resolve, reject }]);
      // Let the other jobs BullMQ hands out in this tick join the batch.
      setImmediate(() => void this.drain(job.tenantId));
    });
  }

  private async drain(tenantId: string): Promise<void> {
    const queue = this.queues.get(tenantId) as Pending[];
    while (queue.length > 0) {
      const batch = queue.splice(0, this.maxBatch);
      try {
        const findings = await this.scoreBatch(tenantId, batch.map((p) => p.job));
        batch.forEach((p, i) => p.resolve(findings[i]));
      } catch (err) {
        batch.forEach((p) => p.reject(err));
      }
    }
    this.queues.delete(tenantId);
  }

  private async scoreBatch(tenantId: string, jobs: CallEventJob[]): Promise<Finding[][]> {
    const ctx = await this.contexts.get(tenantId);
    const deviceIds = [...new Set(jobs.map((j) => j.deviceId).filter((d): d is string => typeof d === 'string'))];
    const eventIds = [...new Set(jobs.map((j) => j.eventId))];
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      const loaded = await this.store.load(tenantId, deviceIds, eventIds);
      const { write, byEvent, fresh } = this.run(ctx, jobs, loaded.tenant, loaded.devices, loaded.done);
      const outcome = fresh.length === 0 ? 1 : await this.store.commit(tenantId, write);
      if (outcome !== 1) continue;
      // Replayed findings (events scored before a sink failure) are delivered again: at least once.
      const all = eventIds.flatMap((id) => byEvent.get(id) ?? []);
      if (all.length) await this.sink.accept(all);
      await this.feedCallbackGuard(fresh);
      return jobs.map((j) => byEvent.get(j.eventId) ?? []);
    }
    throw new ScoringConflictError(`fraud state of tenant ${tenantId} kept changing; ${jobs.length} events to retry`);
  }

  private run(
    ctx: FraudContext,
    jobs: CallEventJob[],
    tenantLoaded: { version: number; state: TenantState | null },
    devicesLoaded: Map<string, { version: number; state: DeviceState | null }>,
    done: Map<string, Finding[]>,
  ) {
    let tenant = tenantLoaded.state ?? emptyTenantState();
    const devices = new Map<string, DeviceState>();
    const byEvent = new Map<string, Finding[]>(done);
    const fresh: Array<{ job: CallEventJob; ev: ScoredEvent }> = [];
    // The queue is near time order; sorting the batch by the event clock keeps windows exact.
    const ordered = jobs.map((job) => ({ job, ev: toScoredEvent(job, ctx) })).sort((a, b) => a.ev.at - b.ev.at);
    for (const { job, ev } of ordered) {
      if (byEvent.has(job.eventId)) continue;
      const device = ev.deviceId ? (devices.get(ev.deviceId) ?? devicesLoaded.get(ev.deviceId)?.state ?? emptyDeviceState()) : null;
      const result = scoreEvent(ev, ctx, { device, tenant });
      tenant = result.nextState.tenant;
      if (ev.deviceId && result.nextState.device) devices.set(ev.deviceId, result.nextState.device);
      byEvent.set(job.eventId, result.findings);
      fresh.push({ job, ev });
    }
    const write: StateWrite = {
      tenant: { version: tenantLoaded.version, state: tenant },
      devices: [...devices].map(([deviceId, state]) => ({ deviceId, version: devicesLoaded.get(deviceId)?.version ?? 0, state })),
      events: fresh.map(({ job }) => ({ eventId: job.eventId, findings: byEvent.get(job.eventId) ?? [] })),
    };
    return { write, byEvent, fresh };
  }

  /** Short inbound calls from risky ranges go to the policy's callback guard, which refuses calling them back. */
  private async feedCallbackGuard(scored: Array<{ ev: ScoredEvent }>): Promise<void> {
    for (const { ev } of scored) {
      if (isShortRiskyInbound(ev)) await recordShortInbound(this.redis, ev.tenantId, `+${ev.remote.digits}`, ev.at);
    }
  }
}
