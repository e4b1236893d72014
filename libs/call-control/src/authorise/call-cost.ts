import { checkSpend, type CompiledPolicy, type CompiledRate, type PolicyDecision } from '@pbx/policy';
import { ZERO_COUNTERS } from './evaluate';

/** Money is kept to six decimals, as in cdrs.cost. */
const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

/**
 * What an answered call has cost after `talkedMs`, from its rate: the connection fee and the first
 * billable increment as soon as it is answered, then every started second. No rate, no cost.
 */
export function callCost(rate: Pick<CompiledRate, 'perMinute' | 'connectionFee' | 'firstIncrementSeconds'> | undefined, talkedMs: number): number {
  if (!rate || talkedMs < 0) return 0;
  const seconds = Math.max(rate.firstIncrementSeconds, Math.ceil(talkedMs / 1000));
  return round6(rate.connectionFee + (rate.perMinute * seconds) / 60);
}

/**
 * A running call just added `delta` to the tenant's spend, which now stands at `after`: the engine's
 * own cap check on that increment. A deny means this call crossed (or runs past) a cap and must end;
 * it carries the lock level to escalate to, as the INVITE-time check would.
 */
export function runningSpendCheck(
  policy: CompiledPolicy,
  after: { today: number; month: number },
  delta: number,
): PolicyDecision | undefined {
  if (delta <= 0) return undefined;
  const counters = { ...ZERO_COUNTERS, spendToday: after.today - delta, spendThisMonth: after.month - delta };
  return checkSpend(policy, counters, delta, undefined);
}
