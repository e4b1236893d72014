import { cidrContains, parseIp, type Cidr, type IpAddress } from '@pbx/policy';

const inAny = (cidrs: readonly Cidr[], ip: IpAddress) => cidrs.some((c) => cidrContains(c, ip));

/** Source rules that apply to registrations (`applies_to` registration or both), tenant's then device's. */
export interface RegistrationSourceRules {
  cidrAllow: readonly Cidr[];
  countryAllow: readonly string[];
  countryDeny: readonly string[];
}

/**
 * From this lock level up a locked device is refused before any challenge, REGISTER and INVITE alike,
 * except an INVITE to an emergency number. The registrar locks a device whose password is being
 * guessed at 3; refusing it outright keeps its answers from telling the guesser which password was
 * right. Emergency calls stay open because the person at that desk must still reach help: a right
 * guess made that way places an emergency call, which is the price. Below 3 (a fraud warning, a spend
 * cap, an admin's lock) the device keeps working within its level, which the policy gate holds each
 * call to, as `POST /api/v1/policy/simulate` shows.
 */
export const REFUSED_LOCK_LEVEL = 3;

/** What the registrar knows of an account before it checks a password. */
export interface AccountProfile {
  status: 'active' | 'suspended' | 'locked';
  /** The device's own lock level (0–3); a locked device without one is treated as refused. */
  lockLevel?: number;
  transports: readonly string[];
  allowedCidrs: readonly Cidr[];
  rules: RegistrationSourceRules;
}

export interface AdmissionRequest {
  transport: string;
  sourceIp: string;
  /** ISO country of sourceIp, when geolocation knows it. */
  sourceCountry?: string;
}

export type Refusal = { status: 403; reason: string; log: string };

const EMPTY: readonly string[] = [];

/**
 * The checks made before any challenge, so a phone on the wrong transport or from the wrong place
 * never gets to try a password (RFC 3261 §22.1 leaves the order to us). Returns null when admitted.
 */
export function admit(profile: AccountProfile, r: AdmissionRequest, tenantRules?: RegistrationSourceRules, call: { emergency?: boolean } = {}): Refusal | null {
  const lockedButAdmitted = profile.status === 'locked' && ((profile.lockLevel ?? REFUSED_LOCK_LEVEL) < REFUSED_LOCK_LEVEL || call.emergency === true);
  const works = profile.status === 'active' || lockedButAdmitted;
  if (!works) return { status: 403, reason: 'Account disabled', log: `device ${profile.status}` };
  if (!profile.transports.includes(r.transport.toLowerCase()))
    return { status: 403, reason: 'Transport not allowed', log: `transport ${r.transport} not allowed` };
  const ip = parseIp(r.sourceIp);
  if (!ip) return { status: 403, reason: 'Forbidden', log: 'unreadable source address' };
  if (profile.allowedCidrs.length && !inAny(profile.allowedCidrs, ip))
    return { status: 403, reason: 'Source address not allowed', log: 'source outside the device allowed_cidrs' };
  for (const rules of [tenantRules, profile.rules]) {
    if (!rules) continue;
    if (rules.cidrAllow.length && !inAny(rules.cidrAllow, ip))
      return { status: 403, reason: 'Source address not allowed', log: 'source outside the cidr_allow rules' };
    const country = r.sourceCountry;
    if (country && (rules.countryDeny ?? EMPTY).includes(country))
      return { status: 403, reason: 'Source country not allowed', log: `source country ${country} denied` };
    if (rules.countryAllow.length && (!country || !rules.countryAllow.includes(country)))
      return { status: 403, reason: 'Source country not allowed', log: `source country ${country ?? 'unknown'} not allowed` };
  }
  return null;
}
