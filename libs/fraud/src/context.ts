import { compileHours, createZoneFormatter, isWithinHours, localTimeOf, type CompiledHours } from '@pbx/policy/hours';
import type { CompiledPolicy, RiskTier } from '@pbx/policy';

/** What a detector knows about a number: where it goes, how risky, whether a premium/IRSF range. */
export interface NumberClass {
  /** Digits of the E.164 number, no '+'; empty for internal/unknown numbers. */
  digits: string;
  country: string | null;
  tier: RiskTier;
  /** The matching known premium / international-network range, if any. */
  premiumRange: string | null;
  /** A risky destination: a high-risk or fraud tier country, or a premium range. */
  risky: boolean;
}

/** The tenant facts detectors read: home country, clock, business hours, caps, risk tables. */
export interface FraudContext {
  tenantId: string;
  country: string;
  classify(number: string | undefined): NumberClass;
  /** True when `at` (epoch ms) falls in the tenant's business hours for international calls. */
  inBusinessHours(at: number): boolean;
  /** Local hour of day (0–23) in the tenant's zone. */
  localHour(at: number): number;
  /** Tenant-local calendar day "YYYY-MM-DD", the day spend caps reset on. */
  localDate(at: number): string;
  dailyCap?: number;
}

const NONE: NumberClass = { digits: '', country: null, tier: 'low', premiumRange: null, risky: false };

/** Monday–Friday 08:00–19:00 when the tenant has not restricted international hours itself. */
export const DEFAULT_BUSINESS_HOURS = { days: [1, 2, 3, 4, 5], start: '08:00', end: '19:00' } as const;

function defaultHours(timezone: string): CompiledHours {
  const compiled = compileHours(DEFAULT_BUSINESS_HOURS, createZoneFormatter(timezone));
  if (Array.isArray(compiled)) throw new Error(compiled.join('; '));
  return compiled;
}

/** Builds the context from the tenant's compiled policy (the same tables the SIP app decides with). */
export function fraudContextFromPolicy(policy: CompiledPolicy): FraudContext {
  const hours = policy.internationalHours ?? defaultHours(policy.timezone);
  const hourFormatter = new Intl.DateTimeFormat('en-US', { timeZone: policy.timezone, hourCycle: 'h23', hour: '2-digit' });
  const dateFormatter = new Intl.DateTimeFormat('en-CA', { timeZone: policy.timezone, year: 'numeric', month: '2-digit', day: '2-digit' });
  let memoHour = { epochHour: Number.NaN, hour: 0 };
  let memoDate = { epochHour: Number.NaN, date: '' };
  return {
    tenantId: policy.tenantId,
    country: policy.country,
    dailyCap: policy.spendCaps?.daily,
    classify(number) {
      if (!number || number[0] !== '+') return NONE;
      const digits = number.slice(1);
      const c = policy.countries.longest(digits);
      const range = policy.fraudRanges.longest(digits);
      const tier: RiskTier = range ? 'fraud' : (c?.tier ?? 'low');
      return { digits, country: c?.country ?? null, tier, premiumRange: range ? range.prefix : null, risky: tier !== 'low' };
    },
    inBusinessHours: (at) => isWithinHours(hours, localTimeOf(hours, at)),
    localHour(at) {
      // Zone offsets are whole quarter hours at worst, so an epoch quarter-hour maps to one local hour.
      const q = Math.floor(at / 900_000);
      if (memoHour.epochHour !== q) memoHour = { epochHour: q, hour: Number(hourFormatter.format(at)) % 24 };
      return memoHour.hour;
    },
    localDate(at) {
      const q = Math.floor(at / 900_000);
      if (memoDate.epochHour !== q) memoDate = { epochHour: q, date: dateFormatter.format(at) };
      return memoDate.date;
    },
  };
}
