import { compilePolicy } from './compile';
import { DEFAULT_TIER_DATA, emergencyNumbersFor } from './data';
import { policyData } from './testing/fixtures';
import type { LockLevel, PolicyData } from './types';
import { PolicyCompileError } from './validate';

function problemsOf(data: Partial<PolicyData>): readonly string[] {
  try {
    compilePolicy(policyData(data));
  } catch (error) {
    if (error instanceof PolicyCompileError) return error.problems;
    throw error;
  }
  return [];
}

describe('compilePolicy', () => {
  it('compiles a minimal policy with the default tables', () => {
    const compiled = compilePolicy(policyData());
    expect(compiled.stats).toMatchObject({
      prefixRules: 0,
      countryPrefixes: Object.keys(DEFAULT_TIER_DATA.callingCodes).length,
      fraudRanges: DEFAULT_TIER_DATA.fraudRanges.length,
      rates: 0,
      devices: 0,
    });
    expect(compiled.stats.trieBytes).toBeGreaterThan(0);
    expect([...compiled.emergencyNumbers].sort()).toEqual(['112', '911', '999']);
    expect(compiled.warnings).toEqual([]);
  });

  it('counts device rules and devices', () => {
    const compiled = compilePolicy(
      policyData({
        destinations: { prefixRules: [{ id: 'a', prefix: '1', action: 'deny' }] },
        devices: [
          { deviceId: 'd', destinations: { prefixRules: [{ id: 'b', prefix: '2', action: 'deny' }] } },
        ],
      }),
    );
    expect(compiled.stats).toMatchObject({ prefixRules: 2, devices: 1 });
  });

  it('reports every problem at once', () => {
    const problems = problemsOf({
      country: 'GBR',
      timezone: 'Mars/Olympus',
      lockLevel: 4 as LockLevel,
      destinations: {
        prefixRules: [
          { id: 'bad-prefix', prefix: '+44a', action: 'allow' },
          { id: 'too-long', prefix: '1234567890123456', action: 'deny' },
          { id: '', prefix: '1', action: 'deny' },
        ],
      },
      limits: { maxConcurrent: -1, maxDurationSeconds: 1.5 },
      source: { allowedCidrs: ['10.0.0.0/33'] },
      rates: [{ prefix: '44', perMinute: -1 }],
      spendCaps: { daily: Number.NaN, dailyEscalation: 7 as LockLevel },
      stepUp: { firstCalls: -1, maxDurationSeconds: 0 },
      wangiri: { windowSeconds: -5 },
      emergencyNumbers: ['9-1-1'],
      devices: [
        { deviceId: 'd1', lockLevel: 9 as LockLevel },
        { deviceId: 'd1', source: { allowedCidrs: ['nope'] } },
      ],
    });
    const expected = [
      'country "GBR"',
      'timezone "Mars/Olympus"',
      'tenant: lock level 4',
      'rule bad-prefix: prefix "+44a"',
      'rule too-long: prefix "1234567890123456"',
      'rule for prefix 1: id is empty',
      'limits.maxConcurrent: -1',
      'limits.maxDurationSeconds: 1.5',
      'allowedCidrs: "10.0.0.0/33"',
      'rates 44 perMinute: -1',
      'spendCaps.daily: NaN',
      'spendCaps.dailyEscalation: lock level 7',
      'tenant stepUp.firstCalls: -1',
      'tenant stepUp.maxDurationSeconds must be positive',
      'wangiri.windowSeconds: -5',
      'emergencyNumbers: "9-1-1"',
      'device d1: lock level 9',
      'device d1 is listed twice',
      'device source.allowedCidrs: "nope"',
    ];
    for (const fragment of expected) expect(problems.join('\n')).toContain(fragment);
    expect(problems).toHaveLength(expected.length);
  });

  it('reports invalid business hours and tier data', () => {
    const problems = problemsOf({
      internationalHours: { days: [8], start: '9:00', end: '17:00' },
      tierData: {
        callingCodes: { x1: 'GB' },
        countryTiers: { GB: 'medium' as 'low' },
        fraudRanges: [{ prefix: '' }],
      },
    });
    expect(problems).toHaveLength(5);
  });

  it('throws a PolicyCompileError whose message lists the problems', () => {
    expect(() => compilePolicy(policyData({ timezone: 'Nowhere/City' }))).toThrow(
      'Invalid policy: timezone "Nowhere/City" is not a known IANA zone',
    );
  });

  it('keeps the higher rate when a rate prefix repeats', () => {
    const compiled = compilePolicy(
      policyData({
        rates: [
          { prefix: '33', perMinute: 0.2 },
          { prefix: '+33', perMinute: 0.1 },
        ],
      }),
    );
    expect(compiled.rates.longest('33142685300')?.perMinute).toBe(0.2);
    expect(compiled.warnings).toEqual(['rates: prefix +33 listed twice, the higher rate is kept']);
  });
});

describe('emergencyNumbersFor', () => {
  it('adds 112 and 911 to the country list, case-insensitively', () => {
    expect(emergencyNumbersFor('au')).toEqual(['112', '911', '000', '106']);
    expect(emergencyNumbersFor('ZZ')).toEqual(['112', '911']);
  });
});
