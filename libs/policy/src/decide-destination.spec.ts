import { compilePolicy } from './compile';
import { decide } from './decide';
import { attempt, counters, policyData } from './testing/fixtures';
import type { DevicePolicy, PolicyData, PrefixRule } from './types';

function rule(id: string, prefix: string, action: 'allow' | 'deny'): PrefixRule {
  return { id, prefix, action };
}

function decideFor(data: Partial<PolicyData>, destination: string, deviceId = 'dev-1') {
  return decide(compilePolicy(policyData(data)), counters(), attempt(destination, { deviceId }));
}

describe('decide: prefix rules', () => {
  it('allow +44, deny +447: the longer prefix wins', () => {
    const rules = { prefixRules: [rule('uk', '+44', 'allow'), rule('uk-mobile', '+447', 'deny')] };
    expect(decideFor({ destinations: rules }, '+447400123456')).toMatchObject({
      decision: 'deny',
      ruleId: 'prefix:uk-mobile',
    });
    expect(decideFor({ destinations: rules }, '+442079460018')).toMatchObject({
      decision: 'allow',
      ruleId: 'prefix:uk',
    });
  });

  it('deny +44, allow +4420: the longer prefix wins', () => {
    const rules = { prefixRules: [rule('uk', '44', 'deny'), rule('london', '4420', 'allow')] };
    expect(decideFor({ destinations: rules }, '+442079460018')).toMatchObject({
      decision: 'allow',
      ruleId: 'prefix:london',
    });
    expect(decideFor({ destinations: rules }, '+441614960000')).toMatchObject({
      decision: 'deny',
      ruleId: 'prefix:uk',
    });
  });

  it('a matching prefix rule beats the country tier default both ways', () => {
    const allowCuba = { prefixRules: [rule('cuba', '+53', 'allow')] };
    expect(decideFor({ destinations: allowCuba }, '+5371234567')).toMatchObject({
      decision: 'allow',
      ruleId: 'prefix:cuba',
    });
    const denyGermany = { prefixRules: [rule('de', '+49', 'deny')] };
    expect(decideFor({ destinations: denyGermany }, '+4930123456')).toMatchObject({
      decision: 'deny',
      ruleId: 'prefix:de',
    });
  });

  it('a rule that does not match leaves the decision to the country tier', () => {
    const rules = { prefixRules: [rule('fr', '+33', 'deny')] };
    expect(decideFor({ destinations: rules }, '+4930123456')).toMatchObject({
      decision: 'allow',
      ruleId: 'country-tier:low:DE',
    });
  });

  it('picks the safer rule when a prefix is listed twice, with a warning', () => {
    const data = policyData({
      destinations: { prefixRules: [rule('a', '+49', 'allow'), rule('b', '49', 'deny')] },
    });
    const compiled = compilePolicy(data);
    expect(compiled.warnings).toEqual([expect.stringContaining('+49 listed twice')]);
    expect(decide(compiled, counters(), attempt('+4930123456')).ruleId).toBe('prefix:b');
  });
});

describe('decide: country tiers and fraud ranges', () => {
  it('allows low-risk countries by default', () => {
    expect(decideFor({}, '+33142685300')).toMatchObject({
      decision: 'allow',
      ruleId: 'country-tier:low:FR',
      tier: 'low',
      scope: 'international',
      country: 'FR',
    });
  });

  it('denies high-risk countries unless the tier or the country is enabled', () => {
    expect(decideFor({}, '+5371234567')).toMatchObject({
      decision: 'deny',
      ruleId: 'country-tier:high_risk:CU',
    });
    expect(decideFor({ destinations: { allowHighRisk: true } }, '+5371234567')).toMatchObject({
      decision: 'allow',
      ruleId: 'country-tier:high_risk:CU',
    });
    expect(decideFor({ destinations: { countries: { cu: 'allow' } } }, '+5371234567')).toMatchObject({
      decision: 'allow',
      ruleId: 'country:CU',
    });
  });

  it('splits shared calling codes by area code', () => {
    expect(decideFor({ country: 'US' }, '+18765551234')).toMatchObject({
      decision: 'deny',
      ruleId: 'country-tier:high_risk:JM',
    });
    expect(decideFor({ country: 'US' }, '+14165551234')).toMatchObject({
      scope: 'international',
      country: 'CA',
    });
    expect(decideFor({ country: 'US' }, '+12025550100')).toMatchObject({ scope: 'national', country: 'US' });
  });

  it('denies fraud-tier codes even when high-risk is enabled', () => {
    expect(decideFor({ destinations: { allowHighRisk: true } }, '+881612345678')).toMatchObject({
      decision: 'deny',
      ruleId: 'fraud-range:+8816',
    });
    expect(decideFor({ destinations: { allowFraud: true } }, '+881612345678')).toMatchObject({
      decision: 'allow',
      ruleId: 'country-tier:fraud:XG',
    });
  });

  it('explicitly denies a low-risk country', () => {
    expect(decideFor({ destinations: { countries: { FR: 'deny' } } }, '+33142685300')).toMatchObject({
      decision: 'deny',
      ruleId: 'country:FR',
    });
  });

  it('keeps known fraud ranges closed under a broader allow rule', () => {
    const allowUk = { prefixRules: [rule('uk', '+44', 'allow')] };
    expect(decideFor({ destinations: allowUk }, '+449012345678')).toMatchObject({
      decision: 'deny',
      ruleId: 'fraud-range:+449',
    });
    expect(decideFor({ destinations: { countries: { GB: 'allow' } } }, '+449012345678').ruleId).toBe(
      'fraud-range:+449',
    );
  });

  it('opens a fraud range with a rule at least as specific', () => {
    const rules = { prefixRules: [rule('uk-premium', '+449', 'allow')] };
    expect(decideFor({ destinations: rules }, '+449012345678')).toMatchObject({
      decision: 'allow',
      ruleId: 'prefix:uk-premium',
    });
  });

  it('treats a number of no known country as high risk', () => {
    const tierData = { callingCodes: { '44': 'GB' }, countryTiers: {}, fraudRanges: [] };
    expect(decideFor({ tierData }, '+4930123456')).toMatchObject({
      decision: 'deny',
      ruleId: 'country-tier:high_risk:ZZ',
      country: 'ZZ',
    });
  });

  it('uses operator tier data instead of the default table', () => {
    const tierData = {
      callingCodes: { '49': 'DE' },
      countryTiers: { DE: 'high_risk' as const },
      fraudRanges: [],
    };
    expect(decideFor({ tierData }, '+4930123456').ruleId).toBe('country-tier:high_risk:DE');
  });
});

describe('decide: device overrides', () => {
  const device = (overrides: Omit<DevicePolicy, 'deviceId'>): DevicePolicy => ({
    deviceId: 'dev-1',
    ...overrides,
  });

  it('a device rule on the same prefix beats the tenant rule', () => {
    const data = {
      destinations: { prefixRules: [rule('t-de', '+49', 'deny')] },
      devices: [device({ destinations: { prefixRules: [rule('d-de', '+49', 'allow')] } })],
    };
    expect(decideFor(data, '+4930123456')).toMatchObject({ decision: 'allow', ruleId: 'prefix:d-de' });
    expect(decideFor(data, '+4930123456', 'other-device')).toMatchObject({
      decision: 'deny',
      ruleId: 'prefix:t-de',
    });
  });

  it('the longest prefix still wins across layers', () => {
    const data = {
      destinations: { prefixRules: [rule('t-uk-mobile', '+447', 'deny')] },
      devices: [device({ destinations: { prefixRules: [rule('d-uk', '+44', 'allow')] } })],
    };
    expect(decideFor(data, '+447400123456').ruleId).toBe('prefix:t-uk-mobile');
    expect(decideFor(data, '+442079460018').ruleId).toBe('prefix:d-uk');
  });

  it('device country permissions and tier toggles override the tenant ones', () => {
    const data = {
      destinations: { countries: { FR: 'deny' as const }, allowHighRisk: true },
      devices: [device({ destinations: { countries: { FR: 'allow' }, allowHighRisk: false } })],
    };
    expect(decideFor(data, '+33142685300').ruleId).toBe('country:FR');
    expect(decideFor(data, '+33142685300').decision).toBe('allow');
    expect(decideFor(data, '+5371234567').decision).toBe('deny');
    expect(decideFor(data, '+5371234567', 'other-device').decision).toBe('allow');
  });

  it('inherits tenant settings the device does not define', () => {
    const data = {
      destinations: { countries: { FR: 'deny' as const } },
      devices: [device({ destinations: { countries: { DE: 'deny' } } })],
    };
    expect(decideFor(data, '+33142685300').ruleId).toBe('country:FR');
    expect(decideFor(data, '+4930123456').ruleId).toBe('country:DE');
  });
});

describe('decide: invalid destinations', () => {
  it.each(['+', '+0123456', '+12345678901234567', '44123', '+44 20 7946', '+44a'])(
    'denies %s',
    (destination) => {
      const compiled = compilePolicy(policyData());
      expect(decide(compiled, counters(), attempt(destination, { kind: 'e164' })).ruleId).toBe(
        'invalid-destination',
      );
    },
  );

  it('denies an empty internal destination', () => {
    const compiled = compilePolicy(policyData());
    expect(decide(compiled, counters(), attempt('', { kind: 'internal' })).ruleId).toBe(
      'invalid-destination',
    );
  });
});
