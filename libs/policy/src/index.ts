export * from './types';
export type {
  CompiledCountry,
  CompiledDevice,
  CompiledFraudRange,
  CompiledPolicy,
  CompiledPolicyStats,
  CompiledRate,
  CompiledRule,
  PolicyLayer,
} from './compiled';
export { compilePolicy } from './compile';
export { decide, isE164 } from './decide';
export { checkSpend } from './checks';
export { normalizeDestination, type NormalizeOptions, type NormalizedDestination } from './normalize';
export { PolicyCompileError } from './validate';
export { PrefixTrie } from './prefix-trie';
export { parseCidr, parseIp, cidrContains, type Cidr, type IpAddress } from './cidr';
export {
  DEFAULT_TIER_DATA,
  DEFAULT_CALLING_CODES,
  DEFAULT_COUNTRY_TIERS,
  DEFAULT_FRAUD_RANGES,
  EMERGENCY_NUMBERS_BY_COUNTRY,
  UNIVERSAL_EMERGENCY_NUMBERS,
  emergencyNumbersFor,
} from './data';
export { policyWarning } from './warning';
