import { compilePolicy } from './compile';
import { decide } from './decide';
import { attempt, counters, MONDAY_14H_UTC, policyData } from './testing/fixtures';
import type { PolicyCounters, PolicyData } from './types';

const FRANCE = '+33142685300';
const LONDON = '+442079460018';

function decideWith(data: Partial<PolicyData>, counts: Partial<PolicyCounters> = {}, destination = FRANCE) {
  return decide(compilePolicy(policyData(data)), counters(counts), attempt(destination));
}

describe('decide: duration and concurrency limits', () => {
  it('returns the max duration and concurrency as limits on allow', () => {
    expect(decideWith({ limits: { maxDurationSeconds: 3600, maxConcurrent: 2 } })).toMatchObject({
      decision: 'allow',
      limits: { maxDurationSeconds: 3600, maxConcurrent: 2 },
    });
    expect(decideWith({}).limits).toBeUndefined();
  });

  it('device limits override tenant limits', () => {
    const data = {
      limits: { maxDurationSeconds: 3600, maxConcurrent: 2 },
      devices: [{ deviceId: 'dev-1', limits: { maxDurationSeconds: 600 } }],
    };
    expect(decideWith(data).limits).toEqual({ maxDurationSeconds: 600, maxConcurrent: 2 });
    expect(decideWith(data, { deviceActiveCalls: 2 }).ruleId).toBe('concurrency:device');
  });

  it.each([
    [
      'device',
      { maxConcurrent: 2 },
      { deviceActiveCalls: 1 },
      { deviceActiveCalls: 2 },
      'concurrency:device',
    ],
    [
      'tenant',
      { tenantMaxConcurrent: 10 },
      { tenantActiveCalls: 9 },
      { tenantActiveCalls: 10 },
      'concurrency:tenant',
    ],
    [
      'device/min',
      { maxCallsPerMinute: 5 },
      { deviceCallsLastMinute: 4 },
      { deviceCallsLastMinute: 5 },
      'rate:device:minute',
    ],
    [
      'device/hour',
      { maxCallsPerHour: 30 },
      { deviceCallsLastHour: 29 },
      { deviceCallsLastHour: 30 },
      'rate:device:hour',
    ],
    [
      'tenant/min',
      { tenantMaxCallsPerMinute: 50 },
      { tenantCallsLastMinute: 49 },
      { tenantCallsLastMinute: 50 },
      'rate:tenant:minute',
    ],
    [
      'tenant/hour',
      { tenantMaxCallsPerHour: 500 },
      { tenantCallsLastHour: 499 },
      { tenantCallsLastHour: 500 },
      'rate:tenant:hour',
    ],
  ])('%s: allows below the limit, denies at it', (_name, limits, below, at, ruleId) => {
    expect(decideWith({ limits }, below).decision).toBe('allow');
    expect(decideWith({ limits }, at)).toMatchObject({ decision: 'deny', ruleId });
  });

  it('does not apply counters to internal calls', () => {
    const compiled = compilePolicy(policyData({ limits: { maxConcurrent: 1, maxCallsPerMinute: 1 } }));
    const busy = counters({ deviceActiveCalls: 5, deviceCallsLastMinute: 5 });
    expect(decide(compiled, busy, attempt('201')).decision).toBe('allow');
  });

  it('checks destination rules before counters', () => {
    expect(decideWith({ limits: { maxConcurrent: 0 } }, {}, '+5371234567').ruleId).toBe(
      'country-tier:high_risk:CU',
    );
  });
});

describe('decide: spend caps', () => {
  const rates = [
    { prefix: '33', perMinute: 0.1 },
    { prefix: '336', perMinute: 0.5, firstIncrementSeconds: 30, connectionFee: 0.05 },
    { prefix: '44', perMinute: 0 },
  ];

  it('estimates the first billable unit with the longest-prefix rate', () => {
    expect(decideWith({ rates, spendCaps: { daily: 100 } })).toMatchObject({
      decision: 'allow',
      estimatedCost: 0.1,
    });
    expect(decideWith({ rates, spendCaps: { daily: 100 } }, {}, '+33612345678').estimatedCost).toBeCloseTo(
      0.3,
    );
  });

  it('allows up to exactly the cap and denies past it, escalating to lock level 1', () => {
    const data = { rates, spendCaps: { daily: 10 } };
    expect(decideWith(data, { spendToday: 9.9 }).decision).toBe('allow');
    expect(decideWith(data, { spendToday: 9.91 })).toMatchObject({
      decision: 'deny',
      ruleId: 'cap:daily',
      escalateLockLevel: 1,
      estimatedCost: 0.1,
    });
  });

  it('monthly cap escalates to lock level 2 by default and wins over daily', () => {
    const data = { rates, spendCaps: { daily: 10, monthly: 100 } };
    expect(decideWith(data, { spendThisMonth: 99.95 })).toMatchObject({
      ruleId: 'cap:monthly',
      escalateLockLevel: 2,
    });
    expect(decideWith(data, { spendToday: 10, spendThisMonth: 100 })).toMatchObject({
      ruleId: 'cap:monthly',
      escalateLockLevel: 2,
    });
  });

  it('uses configured escalation levels and omits one that is not higher than the current level', () => {
    const data = { rates, spendCaps: { daily: 1, dailyEscalation: 3 as const } };
    expect(decideWith(data, { spendToday: 1 }).escalateLockLevel).toBe(3);
    const locked = { ...data, spendCaps: { daily: 1, dailyEscalation: 1 as const } };
    const national = decideWith(
      { ...locked, lockLevel: 1, rates: [{ prefix: '44', perMinute: 1 }] },
      { spendToday: 1 },
      LONDON,
    );
    expect(national).toMatchObject({ ruleId: 'cap:daily' });
    expect(national.escalateLockLevel).toBeUndefined();
  });

  it('never blocks free calls or calls without a rate on caps', () => {
    const data = { rates, spendCaps: { daily: 1 } };
    expect(decideWith(data, { spendToday: 50 }, LONDON)).toMatchObject({
      decision: 'allow',
      estimatedCost: 0,
    });
    expect(decideWith(data, { spendToday: 50 }, '+4930123456')).toMatchObject({
      decision: 'allow',
      estimatedCost: 0,
    });
  });

  it('skips cost estimation without caps', () => {
    expect(decideWith({ rates }).estimatedCost).toBeUndefined();
  });
});

describe('decide: step-up for first-seen destinations', () => {
  const stepUp = { firstCalls: 2, maxDurationSeconds: 120 };

  it('steps up the first N calls to a country with a short duration and one concurrent call', () => {
    for (const previous of [0, 1]) {
      expect(decideWith({ stepUp }, { deviceCountryCalls: { FR: previous } })).toMatchObject({
        decision: 'step_up',
        ruleId: 'step-up:first-seen:FR',
        limits: { maxDurationSeconds: 120, maxConcurrent: 1 },
      });
    }
    expect(decideWith({ stepUp }, { deviceCountryCalls: { FR: 2 } }).decision).toBe('allow');
    expect(decideWith({ stepUp }, { deviceCountryCalls: { DE: 0 } }).decision).toBe('step_up');
  });

  it('keeps the shorter of the step-up and device duration', () => {
    const data = { stepUp, limits: { maxDurationSeconds: 60 } };
    expect(decideWith(data).limits).toEqual({ maxDurationSeconds: 60, maxConcurrent: 1 });
  });

  it('denies a second concurrent call to a new destination', () => {
    expect(decideWith({ stepUp }, { deviceActiveCalls: 1 })).toMatchObject({
      decision: 'deny',
      ruleId: 'step-up:concurrency',
    });
  });

  it('does not step up national calls, and a device can opt out', () => {
    expect(decideWith({ stepUp }, {}, LONDON).decision).toBe('allow');
    expect(decideWith({ stepUp, devices: [{ deviceId: 'dev-1', stepUp: null }] }).decision).toBe('allow');
  });

  it('a device can enable step-up the tenant does not have', () => {
    expect(decideWith({ devices: [{ deviceId: 'dev-1', stepUp }] }).decision).toBe('step_up');
  });
});

describe('decide: wangiri callbacks', () => {
  const wangiri = { windowSeconds: 600 };
  const at = (msAgo: number) => ({ recentShortInbound: [{ number: FRANCE, at: MONDAY_14H_UTC - msAgo }] });

  it('refuses a callback inside the window, including its edge', () => {
    expect(decideWith({ wangiri }, at(0))).toMatchObject({ decision: 'deny', ruleId: 'wangiri' });
    expect(decideWith({ wangiri }, at(600_000)).ruleId).toBe('wangiri');
    expect(decideWith({ wangiri }, at(-5_000)).ruleId).toBe('wangiri');
  });

  it('allows it one millisecond after the window, or for another number', () => {
    expect(decideWith({ wangiri }, at(600_001)).decision).toBe('allow');
    const other = { recentShortInbound: [{ number: '+33999999999', at: MONDAY_14H_UTC }] };
    expect(decideWith({ wangiri }, other).decision).toBe('allow');
  });

  it('is off without a window', () => {
    expect(decideWith({}, at(0)).decision).toBe('allow');
  });
});

describe('decide: international business hours', () => {
  const internationalHours = { days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' };

  it('denies international calls outside the window, in the tenant timezone', () => {
    // Monday 14:00 UTC = 14:00 London, 23:00 Tokyo.
    expect(decideWith({ internationalHours }).decision).toBe('allow');
    expect(decideWith({ internationalHours, timezone: 'Asia/Tokyo' })).toMatchObject({
      decision: 'deny',
      ruleId: 'hours:international',
    });
  });

  it('never restricts national calls', () => {
    expect(decideWith({ internationalHours, timezone: 'Asia/Tokyo' }, {}, LONDON).decision).toBe('allow');
  });
});
