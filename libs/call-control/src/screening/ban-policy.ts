/** Thresholds for turning failed logins into bans and locks; see `decideOnFailure`. */
export interface BanPolicy {
  /** Failed digests from one source IP within `windowMs` before that IP is banned. */
  ipFailures: number;
  /** Failed digests against one device within `windowMs`, from an IP we trust, before the device is locked. */
  deviceFailures: number;
  windowMs: number;
  /** The first ban's length; each repeat offence within `offenceMemoryMs` multiplies it by `growth`. */
  baseBanMs: number;
  growth: number;
  maxBanMs: number;
  offenceMemoryMs: number;
}

export const DEFAULT_BAN_POLICY: BanPolicy = {
  ipFailures: 10,
  deviceFailures: 10,
  windowMs: 10 * 60_000,
  baseBanMs: 60 * 60_000,
  growth: 4,
  maxBanMs: 30 * 24 * 60 * 60_000,
  offenceMemoryMs: 30 * 24 * 60 * 60_000,
};

export interface FailureCounts {
  ip: number;
  /** Failures against the device tried, when the username named a real device. */
  device?: number;
  /** Whether the source IP holds a live authenticated registration (an office NAT, say). */
  ipHasLiveRegistration: boolean;
}

export type FailureAction =
  | { kind: 'none' }
  | { kind: 'ban-ip' }
  /** The IP is trusted through its registrations, so the device being guessed is locked instead. */
  | { kind: 'lock-device' };

/**
 * What a failed digest leads to. An IP that also holds live authenticated registrations is one of
 * our own sites: banning it would cut off every phone behind it because one of them (or one
 * person) has the wrong password, so the device being guessed is locked instead and the IP stays.
 * From anywhere else only the IP is banned: locking devices on failures from strangers would let
 * anyone lock any extension out with a few guesses from a few addresses.
 */
export function decideOnFailure(p: BanPolicy, c: FailureCounts): FailureAction {
  if (!c.ipHasLiveRegistration) return c.ip >= p.ipFailures ? { kind: 'ban-ip' } : { kind: 'none' };
  if (c.device !== undefined && c.device >= p.deviceFailures) return { kind: 'lock-device' };
  return { kind: 'none' };
}

/** The length of a ban for the `offence`-th offence (1-based): grows geometrically, capped. */
export function banDurationMs(p: BanPolicy, offence: number): number {
  const n = Math.max(1, Math.min(offence, 32));
  return Math.min(p.maxBanMs, p.baseBanMs * p.growth ** (n - 1));
}
