import type { Finding } from '../finding';
import { CAPS, capRecord, type Seen, type ScoringState } from '../state';
import { addToBucket, advance, threshold, type BaselineSpec } from './baseline';
import { finding, HOUR, isOutboundStart, lockToStop, quiet, type Detector } from './types';

/** A country the tenant has called this often is known to it, even from a device that has not. */
export const TENANT_KNOWN_CALLS = 3;
/**
 * The last hour's risky calls must be too many to be chance for this device: at least `minCalls` and
 * `minShare` of the hour's calls, and as many or more would come by chance, at the device's usual
 * risky share (at least `floorShare`), with probability under `maxChance`. A fixed margin over the
 * usual share flagged agents whose customers are partly abroad whenever three of four calls in an
 * hour went there; the binomial test alone flagged a device in its first week (usual share near
 * zero) at three of seven calls to a country its tenant was starting to serve.
 */
export const RISKY_SHARE = { minCalls: 3, minShare: 0.5, floorShare: 0.01, maxChance: 1e-4 } as const;

/** P(X >= k) for X ~ Binomial(n, p). */
export function binomialTail(n: number, k: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p >= 1) return 1;
  // P(X = k), then the terms above it.
  let term = Math.exp(logChoose(n, k) + k * Math.log(p) + (n - k) * Math.log1p(-p));
  let sum = 0;
  for (let i = k; i <= n; i++) {
    sum += term;
    term *= ((n - i) / (i + 1)) * (p / (1 - p));
  }
  return Math.min(1, sum);
}

function logChoose(n: number, k: number): number {
  let r = 0;
  for (let i = 1; i <= k; i++) r += Math.log((n - k + i) / i);
  return r;
}
/** International calls a device makes per hour; the floor sits above a campaign agent with foreign customers. */
export const DEVICE_INTERNATIONAL_HOUR: BaselineSpec = { widthMs: HOUR, alpha: 0.05, k: 4, floor: 30, warmBuckets: 24 };
/** A device with a finding this recent is a suspect: its calls do not teach the tenant what is usual. */
export const SUSPECT_MS = 24 * HOUR;
/** Weight of each call in the device's usual risky share (about the last 20 calls). */
const SHARE_ALPHA = 0.05;

const seen = (prev: Seen | undefined, at: number): Seen => [(prev?.[0] ?? 0) + 1, at];

/**
 * First-seen destinations, the share of risky ones, and many distinct international numbers.
 * A risky country (high-risk or fraud tier) or premium range that neither the device nor the
 * tenant has called before fires; a new low-risk country only updates what is known.
 */
export const detectDestinations: Detector = (ev, _ctx, state) => {
  if (!isOutboundStart(ev) || !state.device || !ev.remote.digits) return quiet(state);
  const findings: Finding[] = [];
  const d = state.device;
  const t = state.tenant;
  const { country, premiumRange, risky, tier } = ev.remote;
  const prefix = ev.remote.digits.slice(0, 5);

  const newToDevice = country !== null && !d.countries[country];
  const newToTenant = country !== null && (t.countries[country]?.[0] ?? 0) < TENANT_KNOWN_CALLS;
  const newRange = premiumRange !== null && !t.premiumRanges[premiumRange] && !(prefix in d.prefixes);
  if (risky && ((newToDevice && newToTenant) || newRange))
    findings.push(
      finding(ev, 'new-destination', tier === 'fraud' ? 'critical' : 'warning', `first call to ${premiumRange ? `premium range +${premiumRange}` : `${tier} country ${country}`}`, {
        country: country ?? 'unknown',
        tier,
        prefix: `+${prefix}`,
        premiumRange: premiumRange ? `+${premiumRange}` : 'none',
        lockToStop: lockToStop(ev),
      }),
    );

  // The recent list already holds this call (observeCalls runs first).
  const hourAgo = ev.at - HOUR;
  let total = 0;
  let riskyInHour = 0;
  // The usual share before this hour: the hour's earlier calls are taken back out of the average.
  let usualShare = d.riskyShare;
  const distinctInternational = new Set<string>();
  for (let i = d.recent.length - 1; i >= 0 && d.recent[i][0] >= hourAgo; i--) {
    const [, digits, r, intl] = d.recent[i];
    if (total > 0) usualShare = Math.min(1, Math.max(0, (usualShare - SHARE_ALPHA * r) / (1 - SHARE_ALPHA)));
    total++;
    riskyInHour += r;
    if (intl) distinctInternational.add(digits);
  }
  const chance =
    risky && riskyInHour >= RISKY_SHARE.minCalls && riskyInHour / total >= RISKY_SHARE.minShare
      ? binomialTail(total, riskyInHour, Math.max(usualShare, RISKY_SHARE.floorShare)) : 1;
  if (chance < RISKY_SHARE.maxChance)
    findings.push(
      finding(ev, 'high-risk-share', 'warning', `${riskyInHour} of ${total} calls in the last hour to risky destinations`, {
        riskyCalls: riskyInHour,
        calls: total,
        share: Math.round((riskyInHour / total) * 100) / 100,
        usualShare: Math.round(usualShare * 1000) / 1000,
        chance: Number(chance.toPrecision(2)),
        lockToStop: lockToStop(ev),
      }),
    );

  let hourly = d.internationalHour;
  if (ev.international) {
    hourly = advance(hourly, ev.at, DEVICE_INTERNATIONAL_HOUR);
    const limit = threshold(hourly, DEVICE_INTERNATIONAL_HOUR);
    if (distinctInternational.size > limit)
      findings.push(
        finding(ev, 'many-destinations', 'warning', `${distinctInternational.size} distinct international numbers in an hour (limit ${Math.round(limit)})`, {
          distinct: distinctInternational.size,
          threshold: Math.round(limit * 100) / 100,
          baseline: Math.round(hourly.mean * 100) / 100,
          lockToStop: lockToStop(ev),
        }),
      );
    hourly = addToBucket(hourly, 1);
  }

  // Otherwise one hijacked phone's burst would make its destinations "known" to the whole tenant.
  const suspect = Object.values(d.fired).some((at) => ev.at - at < SUSPECT_MS) || findings.length > 0;
  const teach = !suspect;
  const next: ScoringState = {
    device: {
      ...d,
      internationalHour: hourly,
      riskyShare: d.riskyShare + SHARE_ALPHA * ((risky ? 1 : 0) - d.riskyShare),
      countries: country ? capRecord({ ...d.countries, [country]: seen(d.countries[country], ev.at) }, CAPS.deviceCountries) : d.countries,
      prefixes: capRecord({ ...d.prefixes, [prefix]: ev.at }, CAPS.prefixes),
    },
    tenant: {
      ...t,
      countries: country && teach ? capRecord({ ...t.countries, [country]: seen(t.countries[country], ev.at) }, CAPS.tenantCountries) : t.countries,
      premiumRanges: premiumRange && teach ? capRecord({ ...t.premiumRanges, [premiumRange]: ev.at }, CAPS.premiumRanges) : t.premiumRanges,
    },
  };
  return { findings, nextState: next };
};
