import { DEFAULT_PLAYBOOK, fraudContextFromPolicy, lockLevelFor, planActions, toScoredEvent, type FraudContext, type Finding, type Playbook } from '@pbx/fraud';
import { compilePolicy } from '@pbx/policy';
import type { CallEventJob } from '@pbx/common';
import { checkLock } from '../../libs/policy/src/checks';
import type { AttackLabel, Stream } from './generator';

/** Each tenant's fraud context as the worker builds it from the tenant's policy (country, time zone, daily cap). */
export function contextsOf(stream: Stream): Map<string, FraudContext> {
  return new Map(
    stream.tenants.map((t) => [
      t.id,
      fraudContextFromPolicy(compilePolicy({ tenantId: t.id, country: t.country, timezone: t.timezone, lockLevel: 0, spendCaps: { daily: t.dailyCap } })),
    ]),
  );
}

/**
 * What the playbook does to the device on this finding: 'out' when the device can place no more
 * calls (suspended, or its password replaced), else the lock level it ends at (0: nothing stops it).
 */
export function containmentOf(playbook: Playbook, f: Finding): 'out' | 0 | 1 | 2 | 3 {
  const actions = planActions(playbook, f.severity, { hasDevice: f.deviceId !== null, done: [] });
  if (actions.includes('suspend-device') || actions.includes('rotate-credentials')) return 'out';
  return actions.includes('raise-lock') ? lockLevelFor(playbook, f.evidence) : 0;
}

/**
 * Whether the playbook's answer to an attack's first finding stops it: none of the attack's calls
 * started after the finding would pass the policy's lock check at the level it set (or the device is
 * out). A first finding that only notifies, or locks international calls while the attack dials
 * national numbers, is an alert, not a block.
 */
export function holdChecker(stream: Stream, playbook: Playbook = DEFAULT_PLAYBOOK): (a: AttackLabel, f: Finding) => boolean {
  const contexts = contextsOf(stream);
  const byDevice = new Map<string, CallEventJob[]>();
  for (const job of stream.events) {
    if (job.type !== 'call.started' || job.direction !== 'outbound' || !job.deviceId || !stream.attackCalls.has(job.callId as string)) continue;
    const list = byDevice.get(job.deviceId) ?? [];
    list.push(job);
    byDevice.set(job.deviceId, list);
  }
  return (a, f) => {
    if (!a.deviceId) return true;
    const level = containmentOf(playbook, f);
    if (level === 'out') return true;
    const ctx = contexts.get(a.tenantId)!;
    return (byDevice.get(a.deviceId) ?? []).every((job) => {
      const ev = toScoredEvent(job, ctx);
      if (ev.at <= f.at) return true;
      return checkLock(level, ev.international ? 'international' : 'national', undefined) !== undefined;
    });
  };
}
