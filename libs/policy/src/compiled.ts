import type { Cidr } from './cidr';
import type { CompiledHours } from './hours';
import type { PrefixTrie } from './prefix-trie';
import type { LockLevel, RiskTier, RuleAction, StepUpConfig } from './types';

export type PolicyLayer = 'tenant' | 'device';

export interface CompiledRule {
  id: string;
  /** Digits only. */
  prefix: string;
  action: RuleAction;
  layer: PolicyLayer;
}

export interface CompiledCountry {
  prefix: string;
  country: string;
  tier: RiskTier;
}

export interface CompiledFraudRange {
  prefix: string;
  label: string;
}

export interface CompiledRate {
  prefix: string;
  perMinute: number;
  connectionFee: number;
  /** Minimum billable seconds once answered. */
  firstIncrementSeconds: number;
  /** Estimated cost of the minimum billable unit, connection fee included. */
  firstUnitCost: number;
}

export interface LayeredValue<T> {
  value: T;
  layer: PolicyLayer;
}

export interface CompiledSource {
  allowedCidrs?: LayeredValue<readonly Cidr[]>;
  allowedCountries?: LayeredValue<ReadonlySet<string>>;
  deniedCountries?: LayeredValue<ReadonlySet<string>> & { ruleIds: Readonly<Record<string, string>> };
}

/** Tenant settings with one device's overrides already applied; devices without any share one. */
export interface CompiledDevice {
  deviceId: string | undefined;
  lockLevel: LockLevel;
  /** Device-only prefix rules, consulted alongside the tenant trie. */
  rules: PrefixTrie<CompiledRule> | undefined;
  countries: Readonly<Record<string, RuleAction>>;
  /** ISO code → the rule row behind `countries`. */
  countryRuleIds: Readonly<Record<string, string>>;
  allowHighRisk: boolean;
  allowFraud: boolean;
  maxDurationSeconds?: number;
  maxConcurrent?: number;
  maxCallsPerMinute?: number;
  maxCallsPerHour?: number;
  source: CompiledSource;
  stepUp: StepUpConfig | undefined;
}

export interface CompiledSpendCaps {
  daily?: number;
  monthly?: number;
  dailyEscalation: LockLevel;
  monthlyEscalation: LockLevel;
}

export interface CompiledPolicyStats {
  prefixRules: number;
  countryPrefixes: number;
  fraudRanges: number;
  rates: number;
  devices: number;
  trieNodes: number;
  trieBytes: number;
}

export interface CompiledPolicy {
  tenantId: string;
  country: string;
  timezone: string;
  lockLevel: LockLevel;
  emergencyNumbers: ReadonlySet<string>;
  rules: PrefixTrie<CompiledRule>;
  countries: PrefixTrie<CompiledCountry>;
  fraudRanges: PrefixTrie<CompiledFraudRange>;
  rates: PrefixTrie<CompiledRate>;
  tenantDevice: CompiledDevice;
  devices: ReadonlyMap<string, CompiledDevice>;
  tenantMaxConcurrent?: number;
  tenantMaxCallsPerMinute?: number;
  tenantMaxCallsPerHour?: number;
  spendCaps: CompiledSpendCaps | undefined;
  wangiriWindowMs: number | undefined;
  internationalHours: CompiledHours | undefined;
  /** Non-fatal findings, e.g. a prefix listed twice (deny kept). */
  warnings: readonly string[];
  stats: CompiledPolicyStats;
}
