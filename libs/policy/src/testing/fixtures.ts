import type { CallAttempt, PolicyCounters, PolicyData } from '../types';

/** 2026-03-02 14:00:00 UTC, a Monday. */
export const MONDAY_14H_UTC = Date.UTC(2026, 2, 2, 14, 0, 0);

export function policyData(overrides: Partial<PolicyData> = {}): PolicyData {
  return { tenantId: 'tenant-1', country: 'GB', timezone: 'Europe/London', lockLevel: 0, ...overrides };
}

export function counters(overrides: Partial<PolicyCounters> = {}): PolicyCounters {
  return {
    deviceActiveCalls: 0,
    tenantActiveCalls: 0,
    deviceCallsLastMinute: 0,
    deviceCallsLastHour: 0,
    tenantCallsLastMinute: 0,
    tenantCallsLastHour: 0,
    spendToday: 0,
    spendThisMonth: 0,
    deviceCountryCalls: {},
    recentShortInbound: [],
    ...overrides,
  };
}

export function attempt(destination: string, overrides: Partial<CallAttempt> = {}): CallAttempt {
  return {
    deviceId: 'dev-1',
    destination,
    kind: destination.startsWith('+') ? 'e164' : 'internal',
    sourceIp: '192.0.2.10',
    timestamp: MONDAY_14H_UTC,
    ...overrides,
  };
}
