import type { TierData } from '../types';
import { DEFAULT_CALLING_CODES } from './calling-codes';
import { DEFAULT_COUNTRY_TIERS, DEFAULT_FRAUD_RANGES } from './risk-tiers';

export { DEFAULT_CALLING_CODES } from './calling-codes';
export { DEFAULT_COUNTRY_TIERS, DEFAULT_FRAUD_RANGES } from './risk-tiers';
export {
  EMERGENCY_NUMBERS_BY_COUNTRY,
  UNIVERSAL_EMERGENCY_NUMBERS,
  emergencyNumbersFor,
} from './emergency-numbers';

export const DEFAULT_TIER_DATA: TierData = {
  callingCodes: DEFAULT_CALLING_CODES,
  countryTiers: DEFAULT_COUNTRY_TIERS,
  fraudRanges: DEFAULT_FRAUD_RANGES,
};
