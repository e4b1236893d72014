import type { CallDirection, CallEventType } from '@pbx/common/queues';
import { emptyBaseline, type Baseline } from './detectors/baseline';
import type { NumberClass } from './context';

/** A call event as detectors read it: times in epoch ms of the event's own clock, numbers classified. */
export interface ScoredEvent {
  eventId: string;
  type: CallEventType;
  tenantId: string;
  deviceId: string | null;
  callId: string | null;
  at: number;
  direction: CallDirection | null;
  /** The far end: the dialled number (outbound) or the caller (inbound). */
  remote: NumberClass;
  /** A call to or from another country than the tenant's, or to a premium range. */
  international: boolean;
  durationSeconds: number;
  answered: boolean;
  cost: number;
  sourceCountry: string | null;
  /** The source address's network (/16 for IPv4, /32 for IPv6), for takeover checks. */
  network: string | null;
}

/** [epoch ms, dialled digits, risky 0|1, international 0|1] of an outbound call start. */
export type RecentCall = [number, string, number, number];
/** [epoch ms, short 0|1, cost] of an outbound call end. */
export type EndedCall = [number, number, number];
/** [count, last seen epoch ms]. */
export type Seen = [number, number];

/** Everything kept per device; every collection is capped and aged (see CAPS). */
export interface DeviceState {
  rate: Baseline;
  concurrency: Baseline;
  internationalHour: Baseline;
  spendHour: Baseline;
  active: Record<string, number>;
  recent: RecentCall[];
  ended: EndedCall[];
  countries: Record<string, Seen>;
  prefixes: Record<string, number>;
  /** Share of risky destinations among the device's outbound calls, weighted to the last ~20 calls. */
  riskyShare: number;
  registrations: { countries: Record<string, number>; networks: Record<string, number>; n: number };
  /** Last finding per kind, for the cool-down. */
  fired: Record<string, number>;
}

/** Everything kept per tenant. Tenant baselines count international calls only (see detectors/rate.ts). */
export interface TenantState {
  internationalRate: Baseline;
  internationalConcurrency: Baseline;
  internationalStarts: number[];
  internationalActive: Record<string, number>;
  countries: Record<string, Seen>;
  premiumRanges: Record<string, number>;
  /** Outbound calls per local hour of day, decayed daily: the tenant's own working hours. */
  hours: number[];
  hoursDay: number;
  spend: { day: string; total: number };
  /** [epoch ms, caller E.164] of short inbound calls from risky ranges. */
  shortRiskyInbound: Array<[number, string]>;
  fired: Record<string, number>;
}

export interface ScoringState {
  device: DeviceState | null;
  tenant: TenantState;
}

export const CAPS = {
  recent: 64,
  ended: 64,
  active: 64,
  deviceCountries: 32,
  prefixes: 64,
  registrationCountries: 16,
  networks: 16,
  tenantCountries: 200,
  premiumRanges: 64,
  internationalStarts: 2000,
  internationalActive: 2000,
  shortRiskyInbound: 100,
  /** A call with no end event after this is assumed over (lost hang-up). */
  activeMaxMs: 6 * 3_600_000,
  /** Lists keep what the longest window (an hour) reads. */
  windowMs: 3_600_000,
} as const;

export function emptyDeviceState(): DeviceState {
  return {
    rate: emptyBaseline(),
    concurrency: emptyBaseline(),
    internationalHour: emptyBaseline(),
    spendHour: emptyBaseline(),
    active: {},
    recent: [],
    ended: [],
    countries: {},
    prefixes: {},
    riskyShare: 0,
    registrations: { countries: {}, networks: {}, n: 0 },
    fired: {},
  };
}

export function emptyTenantState(): TenantState {
  return {
    internationalRate: emptyBaseline(),
    internationalConcurrency: emptyBaseline(),
    internationalStarts: [],
    internationalActive: {},
    countries: {},
    premiumRanges: {},
    hours: Array(24).fill(0),
    hoursDay: -1,
    spend: { day: '', total: 0 },
    shortRiskyInbound: [],
    fired: {},
  };
}

/** Keeps the `cap` most recently seen keys of a record whose values are (or start with) a time. */
export function capRecord<V extends number | Seen>(record: Record<string, V>, cap: number): Record<string, V> {
  const keys = Object.keys(record);
  if (keys.length <= cap) return record;
  const time = (v: V) => (typeof v === 'number' ? v : v[1]);
  const kept = keys.sort((a, b) => time(record[b]) - time(record[a])).slice(0, cap);
  return Object.fromEntries(kept.map((k) => [k, record[k]]));
}

/** Entries of a time-ordered list newer than `since`, at most `cap` of the newest. */
export function trimList<T extends number | [number, ...unknown[]]>(list: T[], since: number, cap: number): T[] {
  const time = (v: T) => (typeof v === 'number' ? v : v[0]);
  let start = 0;
  while (start < list.length && time(list[start]) < since) start++;
  start = Math.max(start, list.length - cap);
  return start === 0 ? list : list.slice(start);
}

/** Same as `Object.keys(record).length` without allocating for small records in hot paths. */
export const countKeys = (record: object): number => Object.keys(record).length;
