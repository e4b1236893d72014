import { compilePolicy } from './compile';
import { decide } from './decide';
import { attempt, counters, policyData } from './testing/fixtures';
import type { PolicyData } from './types';
import { policyWarning } from './warning';

const FR_ROW = '4a1d7c52-0000-4000-8000-000000000001';
const DEVICE_FR_ROW = '4a1d7c52-0000-4000-8000-000000000002';
const PREFIX_ROW = '4a1d7c52-0000-4000-8000-000000000003';
const RU_ROW = '4a1d7c52-0000-4000-8000-000000000004';

function decideFor(data: Partial<PolicyData>, destination: string, over: Parameters<typeof attempt>[1] = {}) {
  return decide(compilePolicy(policyData(data)), counters(), attempt(destination, over));
}

describe('decisions name the rule row that decided', () => {
  const denyFrance = { countries: { FR: 'deny' as const }, countryRuleIds: { fr: FR_ROW } };

  it('a country rule: its row id beside the readable label', () => {
    expect(decideFor({ destinations: denyFrance }, '+33612345678')).toMatchObject({
      decision: 'deny',
      ruleId: 'country:FR',
      decidingRuleId: FR_ROW,
    });
  });

  it("a device's own country rule: its row, not the tenant's", () => {
    const devices = [
      { deviceId: 'dev-1', destinations: { countries: { FR: 'allow' as const }, countryRuleIds: { FR: DEVICE_FR_ROW } } },
      { deviceId: 'dev-2', destinations: { countries: { FR: 'allow' as const } } },
    ];
    const data = { destinations: denyFrance, devices };
    expect(decideFor(data, '+33612345678')).toMatchObject({ decision: 'allow', decidingRuleId: DEVICE_FR_ROW });
    expect(decideFor(data, '+33612345678', { deviceId: 'dev-2' }).decidingRuleId).toBeUndefined();
  });

  it('a prefix rule, allowing or denying', () => {
    const destinations = { prefixRules: [{ id: PREFIX_ROW, prefix: '+4420', action: 'allow' as const }] };
    expect(decideFor({ destinations }, '+442079460018')).toMatchObject({ decision: 'allow', decidingRuleId: PREFIX_ROW });
  });

  it('a denied source country', () => {
    const source = { deniedCountries: ['RU'], deniedCountryRuleIds: { RU: RU_ROW } };
    expect(decideFor({ source }, '+442079460018', { sourceCountry: 'RU' })).toMatchObject({
      decision: 'deny',
      ruleId: 'source-country:tenant',
      decidingRuleId: RU_ROW,
    });
  });

  it('no row id where no single row decided (a tier default, a lock level)', () => {
    expect(decideFor({}, '+442079460018').decidingRuleId).toBeUndefined();
    expect(decideFor({ lockLevel: 1 }, '+33612345678').decidingRuleId).toBeUndefined();
  });

  it('a SIP Warning naming label, row and reason, as a valid quoted-string', () => {
    const decision = decideFor({ destinations: denyFrance }, '+33612345678');
    expect(policyWarning(decision)).toBe(`399 pbx "deny by country:FR rule=${FR_ROW}: calls to FR are explicitly denied"`);
    expect(policyWarning({ decision: 'deny', ruleId: 'x', reason: 'a "quoted"\\ reason\r\nsplit' }, 'edge')).toBe(
      '399 edge "deny by x: a \\"quoted\\"\\\\ reason split"',
    );
  });
});
