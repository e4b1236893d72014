import { compilePolicy } from './compile';
import { decide } from './decide';
import { attempt, counters, policyData } from './testing/fixtures';
import type { CallAttempt, LockLevel, PolicyData } from './types';

const CALLS: Record<string, CallAttempt> = {
  emergency: attempt('999', { kind: 'emergency' }),
  internal: attempt('201', { kind: 'internal' }),
  national: attempt('+442079460018'),
  international: attempt('+33142685300'),
};

// Rows: lock level; columns: which kinds of call get through.
const MATRIX: [LockLevel, Record<keyof typeof CALLS, boolean>][] = [
  [0, { emergency: true, internal: true, national: true, international: true }],
  [1, { emergency: true, internal: true, national: true, international: false }],
  [2, { emergency: true, internal: true, national: false, international: false }],
  [3, { emergency: true, internal: false, national: false, international: false }],
];

describe('decide: lock levels', () => {
  describe.each(MATRIX)('lock level %i', (level, expected) => {
    it.each(Object.keys(CALLS))('%s call', (kind) => {
      const result = decide(compilePolicy(policyData({ lockLevel: level })), counters(), CALLS[kind]);
      if (expected[kind]) {
        expect(result.decision).toBe('allow');
      } else {
        expect(result).toMatchObject({ decision: 'deny', ruleId: `lock-level:${level}` });
        expect(result.reason).toContain(`lock level ${level}`);
      }
    });
  });

  it('uses the higher of the tenant and device lock levels', () => {
    const data = policyData({ lockLevel: 1, devices: [{ deviceId: 'dev-1', lockLevel: 2 }] });
    const compiled = compilePolicy(data);
    expect(decide(compiled, counters(), CALLS.national).ruleId).toBe('lock-level:2');
    expect(decide(compiled, counters(), { ...CALLS.national, deviceId: 'dev-2' }).decision).toBe('allow');
    const lowerDevice = compilePolicy(
      policyData({ lockLevel: 2, devices: [{ deviceId: 'dev-1', lockLevel: 0 }] }),
    );
    expect(decide(lowerDevice, counters(), CALLS.national).ruleId).toBe('lock-level:2');
  });

  it('allows internal calls by default and labels them', () => {
    expect(decide(compilePolicy(policyData()), counters(), CALLS.internal)).toMatchObject({
      decision: 'allow',
      ruleId: 'internal',
      scope: 'internal',
    });
  });
});

describe('decide: emergency numbers', () => {
  const hostile: Partial<PolicyData> = {
    lockLevel: 3,
    devices: [
      { deviceId: 'dev-1', lockLevel: 3, source: { allowedCidrs: ['10.0.0.0/8'], allowedCountries: ['GB'] } },
    ],
    destinations: { prefixRules: [{ id: 'all', prefix: '1', action: 'deny' }] },
    limits: { maxConcurrent: 0, maxCallsPerMinute: 0, tenantMaxConcurrent: 0, tenantMaxCallsPerHour: 0 },
    spendCaps: { daily: 0, monthly: 0 },
    rates: [{ prefix: '9', perMinute: 100 }],
    internationalHours: { days: [], start: '09:00', end: '10:00' },
    wangiri: { windowSeconds: 3600 },
    stepUp: { firstCalls: 100, maxDurationSeconds: 10 },
  };
  const exhausted = counters({
    deviceActiveCalls: 50,
    tenantActiveCalls: 500,
    deviceCallsLastMinute: 99,
    tenantCallsLastHour: 9999,
    spendToday: 1e6,
    spendThisMonth: 1e7,
    recentShortInbound: [{ number: '999', at: 0 }],
  });

  it.each(['999', '112', '911'])('%s beats every rule, lock, limit, cap, hour and source check', (number) => {
    const compiled = compilePolicy(policyData(hostile));
    const result = decide(
      compiled,
      exhausted,
      attempt(number, { kind: 'emergency', sourceIp: '203.0.113.1' }),
    );
    expect(result).toEqual({
      decision: 'allow',
      ruleId: 'emergency',
      reason: `${number} is an emergency number and is never blocked`,
      scope: 'emergency',
    });
  });

  it('recognises an emergency number even when the caller classified it as internal', () => {
    const compiled = compilePolicy(policyData({ lockLevel: 3 }));
    expect(decide(compiled, counters(), attempt('112', { kind: 'internal' })).ruleId).toBe('emergency');
  });

  it('uses the tenant country default list, or the policy list when given', () => {
    const us = compilePolicy(policyData({ country: 'US', lockLevel: 3 }));
    expect(decide(us, counters(), attempt('999', { kind: 'emergency' })).ruleId).toBe('invalid-destination');
    expect(decide(us, counters(), attempt('911', { kind: 'emergency' })).ruleId).toBe('emergency');
    const custom = compilePolicy(policyData({ lockLevel: 3, emergencyNumbers: ['000'] }));
    expect(decide(custom, counters(), attempt('000', { kind: 'emergency' })).ruleId).toBe('emergency');
    expect(decide(custom, counters(), attempt('112', { kind: 'emergency' })).ruleId).toBe(
      'invalid-destination',
    );
  });

  it('does not treat an E.164 number that looks like a short code as emergency', () => {
    const compiled = compilePolicy(policyData({ lockLevel: 3 }));
    expect(decide(compiled, counters(), attempt('+112', { kind: 'e164' })).decision).toBe('deny');
  });
});
