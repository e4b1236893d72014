import { compilePolicy } from '../compile';
import { policyData } from '../testing/fixtures';
import {
  DEFAULT_CALLING_CODES,
  DEFAULT_COUNTRY_TIERS,
  DEFAULT_FRAUD_RANGES,
  EMERGENCY_NUMBERS_BY_COUNTRY,
} from '.';

describe('default data tables', () => {
  it('maps every tiered country to at least one calling code', () => {
    const reachable = new Set(Object.values(DEFAULT_CALLING_CODES));
    const unreachable = Object.keys(DEFAULT_COUNTRY_TIERS).filter((country) => !reachable.has(country));
    expect(unreachable).toEqual([]);
  });

  it('uses digit-only prefixes and short-code emergency numbers', () => {
    for (const prefix of Object.keys(DEFAULT_CALLING_CODES)) expect(prefix).toMatch(/^[1-9]\d{0,6}$/);
    for (const range of DEFAULT_FRAUD_RANGES) expect(range.prefix).toMatch(/^[1-9]\d{1,6}$/);
    for (const numbers of Object.values(EMERGENCY_NUMBERS_BY_COUNTRY)) {
      for (const number of numbers) expect(number).toMatch(/^\d{2,6}$/);
    }
  });

  it('compiles for every country that has an emergency list, without warnings', () => {
    for (const country of Object.keys(EMERGENCY_NUMBERS_BY_COUNTRY)) {
      expect(compilePolicy(policyData({ country })).warnings).toEqual([]);
    }
  });
});
