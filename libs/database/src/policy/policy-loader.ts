import { Injectable } from '@nestjs/common';
import type {
  BusinessHours,
  DestinationRules,
  DevicePolicy,
  LockLevel,
  PolicyData,
  RateEntry,
  SourceRules,
  StepUpConfig,
} from '@pbx/policy';
import type {
  DestinationRuleEntity,
  DevicePolicyOverrideEntity,
  FraudPolicyEntity,
  RateEntity,
  SourceRuleEntity,
} from '../entities';
import { DevicePolicyRow, PolicyRepository, TenantPolicyContext } from '../repositories/policy.repository';
import { PolicyRulesRepository } from '../repositories/policy-rules.repository';

/** Used when a device override turns step-up on while the tenant has it off. */
export const DEFAULT_STEP_UP: StepUpConfig = { firstCalls: 3, maxDurationSeconds: 300 };
const ALL_DAYS = [0, 1, 2, 3, 4, 5, 6];

export class TenantNotFoundError extends Error {
  constructor(readonly tenantId: string) {
    super(`tenant ${tenantId} not found`);
    this.name = 'TenantNotFoundError';
  }
}

export interface LoadedPolicy {
  data: PolicyData;
  tenant: TenantPolicyContext;
}

/** Everything the loader reads, so the mapping can be tested without a database. */
export interface PolicyRows {
  tenant: TenantPolicyContext;
  policy: FraudPolicyEntity;
  destinationRules: readonly DestinationRuleEntity[];
  sourceRules: readonly SourceRuleEntity[];
  rates: readonly RateEntity[];
  overrides: readonly DevicePolicyOverrideEntity[];
  devices: readonly DevicePolicyRow[];
}

const opt = (v: number | null): number | undefined => (v === null ? undefined : v);

function lockLevel(v: number): LockLevel {
  return (v >= 0 && v <= 3 ? v : 3) as LockLevel;
}

function withoutUndefined<T extends object>(o: T): T | undefined {
  const entries = Object.entries(o).filter(([, v]) => v !== undefined);
  return entries.length ? (Object.fromEntries(entries) as T) : undefined;
}

function destinationsOf(rules: readonly DestinationRuleEntity[]): DestinationRules {
  const out: {
    prefixRules: DestinationRules['prefixRules'] & object[];
    countries: Record<string, 'allow' | 'deny'>;
    countryRuleIds: Record<string, string>;
  } = { prefixRules: [], countries: {}, countryRuleIds: {} };
  for (const r of rules) {
    if (r.kind === 'prefix' && r.prefix) out.prefixRules.push({ id: r.id, prefix: r.prefix, action: r.action });
    if (r.kind === 'country' && r.country) {
      out.countries[r.country.toUpperCase()] = r.action;
      out.countryRuleIds[r.country.toUpperCase()] = r.id;
    }
  }
  return out;
}

/** Only rules that apply to calls; 'registration' rules are the registrar's business. */
function sourceOf(rules: readonly SourceRuleEntity[], extraCidrs: readonly string[] = []): SourceRules | undefined {
  const calls = rules.filter((r) => r.appliesTo !== 'registration');
  const pick = (kind: SourceRuleEntity['kind']) => calls.filter((r) => r.kind === kind).map((r) => r.value);
  const cidrs = [...pick('cidr_allow'), ...extraCidrs];
  const allowed = pick('country_allow');
  const denied = pick('country_deny');
  const deniedIds = Object.fromEntries(
    calls.filter((r) => r.kind === 'country_deny').map((r) => [r.value.toUpperCase(), r.id]),
  );
  return withoutUndefined<SourceRules>({
    allowedCidrs: cidrs.length ? cidrs : undefined,
    allowedCountries: allowed.length ? allowed : undefined,
    deniedCountries: denied.length ? denied : undefined,
    deniedCountryRuleIds: denied.length ? deniedIds : undefined,
  });
}

function tenantStepUp(p: FraudPolicyEntity): StepUpConfig | undefined {
  if (p.stepUpFirstCalls === null || p.stepUpFirstCalls <= 0 || p.stepUpMaxDurationSeconds === null) return undefined;
  return { firstCalls: p.stepUpFirstCalls, maxDurationSeconds: p.stepUpMaxDurationSeconds };
}

function hoursOf(p: FraudPolicyEntity): BusinessHours | undefined {
  if (p.intlHoursStart === null || p.intlHoursEnd === null) return undefined;
  return { days: p.intlHoursDays ?? ALL_DAYS, start: p.intlHoursStart, end: p.intlHoursEnd };
}

function groupByDevice<T extends { deviceId: string | null }>(rows: readonly T[]): Map<string | null, T[]> {
  const out = new Map<string | null, T[]>();
  for (const row of rows) {
    const list = out.get(row.deviceId) ?? [];
    list.push(row);
    out.set(row.deviceId, list);
  }
  return out;
}

function devicePolicy(
  device: DevicePolicyRow,
  stepUp: StepUpConfig | undefined,
  override: DevicePolicyOverrideEntity | undefined,
  destinationRules: readonly DestinationRuleEntity[],
  sourceRules: readonly SourceRuleEntity[],
): DevicePolicy {
  const out: DevicePolicy = { deviceId: device.id };
  if (device.lockLevel > 0) out.lockLevel = lockLevel(device.lockLevel);
  if (destinationRules.length) out.destinations = destinationsOf(destinationRules);
  const source = sourceOf(sourceRules, device.allowedCidrs);
  if (source) out.source = source;
  if (override) {
    const limits = withoutUndefined({
      maxDurationSeconds: opt(override.maxDurationSeconds),
      maxConcurrent: opt(override.maxConcurrent),
      maxCallsPerMinute: opt(override.maxCallsPerMinute),
      maxCallsPerHour: opt(override.maxCallsPerHour),
    });
    if (limits) out.limits = limits;
    if (override.stepUpEnabled === false) out.stepUp = null;
    if (override.stepUpEnabled === true) out.stepUp = stepUp ?? DEFAULT_STEP_UP;
  }
  return out;
}

/** Maps database rows onto the engine's PolicyData. Pure; `PolicyLoader.load` feeds it. */
export function policyDataFromRows(rows: PolicyRows): PolicyData {
  const { tenant, policy: p } = rows;
  const destinationRules = groupByDevice(rows.destinationRules);
  const sourceRules = groupByDevice(rows.sourceRules);
  const overrides = new Map(rows.overrides.map((o) => [o.deviceId, o]));
  const stepUp = tenantStepUp(p);
  const data: PolicyData = {
    tenantId: tenant.id,
    country: tenant.defaultCountry.trim().toUpperCase(),
    timezone: tenant.timezone,
    lockLevel: lockLevel(tenant.lockLevel),
    destinations: {
      ...destinationsOf(destinationRules.get(null) ?? []),
      allowHighRisk: p.allowHighRisk,
      allowFraud: p.allowFraud,
    },
    limits: withoutUndefined({
      maxDurationSeconds: opt(p.maxDurationSeconds),
      maxConcurrent: opt(p.maxConcurrent),
      maxCallsPerMinute: opt(p.maxCallsPerMinute),
      maxCallsPerHour: opt(p.maxCallsPerHour),
      tenantMaxConcurrent: opt(p.tenantMaxConcurrent),
      tenantMaxCallsPerMinute: opt(p.tenantMaxCallsPerMinute),
      tenantMaxCallsPerHour: opt(p.tenantMaxCallsPerHour),
    }),
    source: sourceOf(sourceRules.get(null) ?? []),
    spendCaps: withoutUndefined({
      daily: opt(p.dailyCap),
      monthly: opt(p.monthlyCap),
      dailyEscalation: lockLevel(p.dailyEscalation),
      monthlyEscalation: lockLevel(p.monthlyEscalation),
    }),
    rates: rows.rates.map(
      (r): RateEntry => ({
        prefix: r.prefix,
        perMinute: r.perMinute,
        firstIncrementSeconds: r.firstIncrementSeconds,
        connectionFee: r.connectionFee,
      }),
    ),
    stepUp,
    wangiri: p.wangiriWindowSeconds === null ? undefined : { windowSeconds: p.wangiriWindowSeconds },
    internationalHours: hoursOf(p),
    emergencyNumbers: p.emergencyNumbers?.length ? p.emergencyNumbers : undefined,
  };
  data.devices = rows.devices.map((d) =>
    devicePolicy(d, stepUp, overrides.get(d.id), destinationRules.get(d.id) ?? [], sourceRules.get(d.id) ?? []),
  );
  return data;
}

/** Builds a tenant's PolicyData from Postgres; shared by the admin API and the SIP app. */
@Injectable()
export class PolicyLoader {
  constructor(
    private readonly policies: PolicyRepository,
    private readonly rules: PolicyRulesRepository,
  ) {}

  async load(tenantId: string): Promise<LoadedPolicy> {
    const tenant = await this.policies.tenantContext(tenantId);
    if (!tenant) throw new TenantNotFoundError(tenantId);
    const [policy, destinationRules, sourceRules, rates, overrides] = await Promise.all([
      this.policies.getOrCreatePolicy(tenantId),
      this.rules.allDestinationRules(tenantId),
      this.rules.allSourceRules(tenantId),
      this.rules.allRates(tenantId),
      this.policies.listOverrides(tenantId),
    ]);
    const referenced = new Set<string>(overrides.map((o) => o.deviceId));
    for (const r of [...destinationRules, ...sourceRules]) if (r.deviceId) referenced.add(r.deviceId);
    const devices = await this.policies.devicesForPolicy(tenantId, [...referenced]);
    const rows = { tenant, policy, destinationRules, sourceRules, rates, overrides, devices };
    return { data: policyDataFromRows(rows), tenant };
  }
}
