/** 0 none, 1 no international, 2 only internal and emergency, 3 nothing but emergency. */
export type LockLevel = 0 | 1 | 2 | 3;

export type RiskTier = 'low' | 'high_risk' | 'fraud';

export type RuleAction = 'allow' | 'deny';

/** Prefixes are E.164 digits, with or without the leading '+' ("+447", "447"). */
export interface PrefixRule {
  id: string;
  prefix: string;
  action: RuleAction;
}

export interface CountryTier {
  /** ISO 3166-1 alpha-2, or a user-assigned X* code for non-geographic ranges. */
  country: string;
  tier: RiskTier;
}

export interface FraudRange {
  prefix: string;
  label?: string;
}

/** Operator-maintained risk data; `DEFAULT_TIER_DATA` ships a starting point. */
export interface TierData {
  /** Dialling prefix → country, longest prefix wins ('1' → US, '1876' → JM). */
  callingCodes: Readonly<Record<string, string>>;
  /** Countries absent here are 'low'. */
  countryTiers: Readonly<Record<string, RiskTier>>;
  /** Known IRSF / premium ranges, denied unless a rule at least as specific allows them. */
  fraudRanges: readonly FraudRange[];
}

export interface DestinationRules {
  prefixRules?: readonly PrefixRule[];
  /** Explicit per-country permission (ISO code), beats the tier default. */
  countries?: Readonly<Record<string, RuleAction>>;
  /** ISO code → id of the rule row behind `countries[code]`, so a decision can name the row to edit. */
  countryRuleIds?: Readonly<Record<string, string>>;
  /** Enables every country of the tier, like Twilio's geo permission toggles. */
  allowHighRisk?: boolean;
  allowFraud?: boolean;
}

export interface SourceRules {
  /** IPv4/IPv6 CIDRs or bare addresses; when set, the source IP must fall in one. */
  allowedCidrs?: readonly string[];
  /** ISO codes of the geolocated source IP; when set, the source country must be listed. */
  allowedCountries?: readonly string[];
  deniedCountries?: readonly string[];
  /** ISO code → id of the rule row that denies it. */
  deniedCountryRuleIds?: Readonly<Record<string, string>>;
}

export interface DeviceLimits {
  maxDurationSeconds?: number;
  maxConcurrent?: number;
  maxCallsPerMinute?: number;
  maxCallsPerHour?: number;
}

export interface TenantLimits extends DeviceLimits {
  tenantMaxConcurrent?: number;
  tenantMaxCallsPerMinute?: number;
  tenantMaxCallsPerHour?: number;
}

export interface RateEntry {
  prefix: string;
  /** Currency units per minute, same currency as the spend counters and caps. */
  perMinute: number;
  /** Minimum billable unit in seconds; the cap check estimates this much of the call (default 60). */
  firstIncrementSeconds?: number;
  connectionFee?: number;
}

export interface SpendCaps {
  daily?: number;
  monthly?: number;
  /** Lock level to raise to when the cap is crossed; defaults: daily 1, monthly 2. */
  dailyEscalation?: LockLevel;
  monthlyEscalation?: LockLevel;
}

export interface StepUpConfig {
  /** Calls to a country below this count (per device) are stepped up. */
  firstCalls: number;
  maxDurationSeconds: number;
}

export interface WangiriConfig {
  windowSeconds: number;
}

export interface BusinessHours {
  /** 0 = Sunday … 6 = Saturday, in the tenant timezone. */
  days: readonly number[];
  /** "HH:MM"; a window with start after end runs past midnight into the next day. */
  start: string;
  end: string;
}

export interface DevicePolicy {
  deviceId: string;
  lockLevel?: LockLevel;
  destinations?: DestinationRules;
  limits?: DeviceLimits;
  source?: SourceRules;
  stepUp?: StepUpConfig | null;
}

/** What a DB loader fills from the tenant row, its rule rows and its device overrides. */
export interface PolicyData {
  tenantId: string;
  /** ISO code of the tenant's home country, for national vs international. */
  country: string;
  /** IANA timezone, e.g. "Europe/London". */
  timezone: string;
  lockLevel: LockLevel;
  destinations?: DestinationRules;
  limits?: TenantLimits;
  source?: SourceRules;
  spendCaps?: SpendCaps;
  rates?: readonly RateEntry[];
  stepUp?: StepUpConfig;
  wangiri?: WangiriConfig;
  /** Restricts international calls to this window. */
  internationalHours?: BusinessHours;
  /** Defaults to the numbers of the tenant country plus 112 and 911. */
  emergencyNumbers?: readonly string[];
  tierData?: TierData;
  devices?: readonly DevicePolicy[];
}

export interface RecentShortInbound {
  /** E.164 caller number of the short inbound call. */
  number: string;
  /** Epoch milliseconds. */
  at: number;
}

/** What a Redis loader fills; counts exclude the attempt being decided. */
export interface PolicyCounters {
  deviceActiveCalls: number;
  tenantActiveCalls: number;
  deviceCallsLastMinute: number;
  deviceCallsLastHour: number;
  tenantCallsLastMinute: number;
  tenantCallsLastHour: number;
  spendToday: number;
  spendThisMonth: number;
  /** Past call count per destination country (ISO code) for this device. */
  deviceCountryCalls: Readonly<Record<string, number>>;
  recentShortInbound: readonly RecentShortInbound[];
}

export type DestinationKind = 'e164' | 'internal' | 'emergency';

export interface CallAttempt {
  deviceId: string;
  /** E.164 ("+4420…") for 'e164'; the dialed digits for 'internal' and 'emergency'. */
  destination: string;
  kind: DestinationKind;
  sourceIp: string;
  /** Geolocated ISO country of sourceIp, when known. */
  sourceCountry?: string;
  /** Epoch milliseconds. */
  timestamp: number;
}

export interface DecideOptions {
  explain?: boolean;
}

export type Decision = 'allow' | 'deny' | 'step_up';

export type DestinationScope = 'emergency' | 'internal' | 'national' | 'international';

export interface DecisionLimits {
  maxDurationSeconds?: number;
  maxConcurrent?: number;
}

export interface TraceStep {
  step: string;
  outcome: 'pass' | 'skip' | 'match' | Decision;
  detail: string;
}

export interface PolicyDecision {
  decision: Decision;
  /** A readable label of the step or rule that decided ("prefix:…", "country:FR", "cap:daily"). */
  ruleId: string;
  /** The id of the rule row (destination or source rule) that decided, when a row did: what an admin edits. */
  decidingRuleId?: string;
  reason: string;
  limits?: DecisionLimits;
  /** Set when a spend cap was crossed: the lock level the caller should raise the tenant to. */
  escalateLockLevel?: LockLevel;
  scope?: DestinationScope;
  country?: string;
  tier?: RiskTier;
  estimatedCost?: number;
  trace?: TraceStep[];
}
