import { compilePolicy } from '@pbx/policy';
import { callCost, runningSpendCheck } from './call-cost';

describe('callCost', () => {
  const rate = { perMinute: 1.2, connectionFee: 0.05, firstIncrementSeconds: 60 };
  it('charges the fee and the first increment on answer, then every started second', () => {
    expect(callCost(rate, 0)).toBe(1.25);
    expect(callCost(rate, 59_000)).toBe(1.25);
    expect(callCost(rate, 60_001)).toBe(1.27);
    expect(callCost({ ...rate, firstIncrementSeconds: 1 }, 30_000)).toBe(0.65);
  });
  it('is zero without a rate', () => {
    expect(callCost(undefined, 600_000)).toBe(0);
  });
});

describe('runningSpendCheck', () => {
  const policy = compilePolicy({ tenantId: 't', country: 'GB', timezone: 'UTC', lockLevel: 0, spendCaps: { daily: 10, monthly: 100, dailyEscalation: 1 } });
  it('passes an increment that stays under the caps', () => {
    expect(runningSpendCheck(policy, { today: 9.5, month: 9.5 }, 1)).toBeUndefined();
  });
  it('ends the call whose increment crossed the daily cap, with its escalation', () => {
    expect(runningSpendCheck(policy, { today: 10.5, month: 20 }, 1)).toMatchObject({ decision: 'deny', ruleId: 'cap:daily', escalateLockLevel: 1 });
  });
  it('ends every later increment too, and the monthly cap with its own level', () => {
    expect(runningSpendCheck(policy, { today: 12, month: 12 }, 0.5)).toMatchObject({ ruleId: 'cap:daily' });
    expect(runningSpendCheck(policy, { today: 1, month: 100.5 }, 1)).toMatchObject({ ruleId: 'cap:monthly', escalateLockLevel: 2 });
  });
  it('ignores an empty increment', () => {
    expect(runningSpendCheck(policy, { today: 50, month: 50 }, 0)).toBeUndefined();
  });
});
