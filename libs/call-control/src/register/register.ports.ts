import type { SipDigestAlgorithm } from '@pbx/common';
import type { MediaRules } from '../media/sdp-rules';
import type { AccountProfile, RegistrationSourceRules } from './admission';
import type { Binding, RegisterOutcome } from './bindings';

/** The stores the registrar works over; apps/sip wires Postgres- and Redis-backed ones. */

export interface TenantAccount {
  id: string;
  realm: string;
  status: 'active' | 'suspended';
  rules: RegistrationSourceRules;
  /** What device offers must meet (issue 9 item 4); absent means the safe default, SRTP required. */
  media?: MediaRules;
  /** ISO 3166 alpha-2 whose national dialling rules apply to what its users dial. */
  defaultCountry?: string;
}

export interface DeviceAccount extends AccountProfile {
  id: string;
  tenantId: string;
  extensionId: string;
  username: string;
  algorithms: readonly SipDigestAlgorithm[];
  /** Stored HA1 per algorithm (RFC 8760), lower-case hex. Never logged. */
  ha1: Readonly<Record<SipDigestAlgorithm, string>>;
  maxRegistrations: number;
}

/** An extension as a call to it needs it: the devices that ring. */
export interface ExtensionTarget {
  id: string;
  number: string;
  deviceIds: string[];
}

export interface AccountDirectory {
  tenantByRealm(realm: string): Promise<TenantAccount | null>;
  /** A tenant by id (inbound calls find their tenant through the DID). */
  tenantById?(id: string): Promise<TenantAccount | null>;
  device(tenantId: string, username: string): Promise<DeviceAccount | null>;
  extension(tenantId: string, number: string): Promise<ExtensionTarget | null>;
  /** A ban a tenant admin placed on this address, effective in that tenant only. */
  isBannedInTenant(tenantId: string, ip: string): Promise<boolean>;
}

export interface LocationStore {
  bindings(tenantId: string, deviceId: string): Promise<Binding[]>;
  apply(tenantId: string, deviceId: string, change: Extract<RegisterOutcome, { kind: 'apply' }>): Promise<void>;
  /** Whether any device holds a live binding registered from this address. */
  ipHasLiveRegistration(ip: string, now: number): Promise<boolean>;
}

export interface NcStore {
  /**
   * Records `nc` for `nonce` if it is higher than any seen, atomically; false for a replay. Called only
   * after the digest verified, so a forged high nc cannot lock a phone out of its nonce.
   */
  accept(nonce: string, nc: number, nonceExpiresAt: number): Promise<boolean>;
}

export interface FailureCounter {
  /** Counts one failed digest against the IP (and the device, if real); returns the counts in the window. */
  record(ip: string, deviceId: string | undefined, now: number): Promise<{ ip: number; device?: number }>;
}

export interface Enforcer {
  /** Platform-wide ban: every edge drops the address within a second; the API's ban list shows it. */
  banIp(ip: string, source: 'scanner' | 'brute_force', reason: string, now: number): Promise<{ expiresAt: Date } | null>;
  lockDevice(device: DeviceAccount, reason: string): Promise<void>;
  /** Raises an alert when a device registers from a country it never registered from before. */
  noteRegistrationCountry(device: DeviceAccount, country: string, sourceIp: string): Promise<void>;
}
