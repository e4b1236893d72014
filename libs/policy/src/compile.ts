import type {
  CompiledCountry,
  CompiledDevice,
  CompiledFraudRange,
  CompiledPolicy,
  CompiledRate,
  CompiledRule,
  CompiledSource,
  CompiledSpendCaps,
  PolicyLayer,
} from './compiled';
import { DEFAULT_TIER_DATA, emergencyNumbersFor } from './data';
import { compileHours, createZoneFormatter, type CompiledHours } from './hours';
import { PrefixTrie } from './prefix-trie';
import type { DestinationRules, DevicePolicy, PolicyData, RateEntry, SourceRules, TierData } from './types';
import {
  checkAmount,
  checkCidrs,
  checkCount,
  checkLockLevel,
  countrySet,
  Problems,
  toPrefixDigits,
} from './validate';

const RISK_TIERS = new Set(['low', 'high_risk', 'fraud']);

function buildRuleTrie(
  destinations: DestinationRules | undefined,
  layer: PolicyLayer,
  where: string,
  problems: Problems,
): PrefixTrie<CompiledRule> {
  const entries: [string, CompiledRule][] = [];
  for (const rule of destinations?.prefixRules ?? []) {
    const prefix = toPrefixDigits(rule.prefix, `${where} rule ${rule.id}`, problems);
    if (rule.action !== 'allow' && rule.action !== 'deny') {
      problems.add(`${where} rule ${rule.id}: action must be "allow" or "deny"`);
    } else if (!rule.id) {
      problems.add(`${where} rule for prefix ${rule.prefix}: id is empty`);
    } else if (prefix !== undefined) {
      entries.push([prefix, { id: rule.id, prefix, action: rule.action, layer }]);
    }
  }
  return PrefixTrie.build(entries, (existing, incoming) => {
    problems.warn(`${where}: prefix +${incoming.prefix} listed twice (${existing.id}, ${incoming.id})`);
    // Conflicting duplicates keep the safer rule; otherwise the first listed.
    return existing.action === 'allow' && incoming.action === 'deny' ? incoming : existing;
  });
}

function buildCountryTrie(tierData: TierData, problems: Problems): PrefixTrie<CompiledCountry> {
  const entries: [string, CompiledCountry][] = [];
  for (const [country, tier] of Object.entries(tierData.countryTiers)) {
    if (!RISK_TIERS.has(tier)) problems.add(`tierData.countryTiers.${country}: unknown tier "${tier}"`);
  }
  for (const [rawPrefix, country] of Object.entries(tierData.callingCodes)) {
    const prefix = toPrefixDigits(rawPrefix, 'tierData.callingCodes', problems);
    if (prefix === undefined) continue;
    const code = country.toUpperCase();
    entries.push([prefix, { prefix, country: code, tier: tierData.countryTiers[code] ?? 'low' }]);
  }
  return PrefixTrie.build(entries);
}

function buildFraudTrie(tierData: TierData, problems: Problems): PrefixTrie<CompiledFraudRange> {
  const entries: [string, CompiledFraudRange][] = [];
  for (const range of tierData.fraudRanges) {
    const prefix = toPrefixDigits(range.prefix, 'tierData.fraudRanges', problems);
    if (prefix !== undefined) entries.push([prefix, { prefix, label: range.label ?? 'known fraud range' }]);
  }
  return PrefixTrie.build(entries);
}

function buildRateTrie(rates: readonly RateEntry[], problems: Problems): PrefixTrie<CompiledRate> {
  const entries: [string, CompiledRate][] = [];
  for (const rate of rates) {
    const where = `rates ${rate.prefix}`;
    const prefix = toPrefixDigits(rate.prefix, 'rates', problems);
    const perMinute = checkAmount(rate.perMinute, `${where} perMinute`, problems);
    const fee = checkAmount(rate.connectionFee ?? 0, `${where} connectionFee`, problems) ?? 0;
    const unit =
      checkCount(rate.firstIncrementSeconds ?? 60, `${where} firstIncrementSeconds`, problems) ?? 60;
    if (prefix === undefined || perMinute === undefined) continue;
    entries.push([
      prefix,
      { prefix, perMinute, connectionFee: fee, firstIncrementSeconds: unit, firstUnitCost: fee + (perMinute * unit) / 60 },
    ]);
  }
  return PrefixTrie.build(entries, (existing, incoming) => {
    problems.warn(`rates: prefix +${incoming.prefix} listed twice, the higher rate is kept`);
    return existing.firstUnitCost >= incoming.firstUnitCost ? existing : incoming;
  });
}

function compileSource(
  rules: SourceRules | undefined,
  layer: PolicyLayer,
  inherited: CompiledSource,
  problems: Problems,
): CompiledSource {
  if (!rules) return inherited;
  const where = `${layer} source`;
  return {
    allowedCidrs: rules.allowedCidrs
      ? { value: checkCidrs(rules.allowedCidrs, `${where}.allowedCidrs`, problems), layer }
      : inherited.allowedCidrs,
    allowedCountries: rules.allowedCountries
      ? { value: countrySet(rules.allowedCountries), layer }
      : inherited.allowedCountries,
    deniedCountries: rules.deniedCountries
      ? { value: countrySet(rules.deniedCountries), layer, ruleIds: upperKeys(rules.deniedCountryRuleIds) }
      : inherited.deniedCountries,
  };
}

function upperKeys<T>(record: Readonly<Record<string, T>> | undefined): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [key, value] of Object.entries(record ?? {})) out[key.toUpperCase()] = value;
  return out;
}

/** The tenant's row ids minus the countries a device decides itself (it may decide them without a row id). */
function withoutKeys(ids: Readonly<Record<string, string>>, overridden: Readonly<Record<string, unknown>>): Record<string, string> {
  const drop = new Set(Object.keys(overridden).map((k) => k.toUpperCase()));
  return Object.fromEntries(Object.entries(ids).filter(([k]) => !drop.has(k)));
}

function compileDevice(device: DevicePolicy, tenant: CompiledDevice, problems: Problems): CompiledDevice {
  const where = `device ${device.deviceId}`;
  const limits = device.limits ?? {};
  const destinations = device.destinations;
  if (device.stepUp) checkStepUp(device.stepUp.firstCalls, device.stepUp.maxDurationSeconds, where, problems);
  return {
    deviceId: device.deviceId,
    lockLevel: checkLockLevel(device.lockLevel, where, problems),
    rules: destinations?.prefixRules?.length
      ? buildRuleTrie(destinations, 'device', where, problems)
      : undefined,
    countries: destinations?.countries
      ? { ...tenant.countries, ...upperKeys(destinations.countries) }
      : tenant.countries,
    countryRuleIds: destinations?.countries
      ? { ...withoutKeys(tenant.countryRuleIds, destinations.countries), ...upperKeys(destinations.countryRuleIds) }
      : tenant.countryRuleIds,
    allowHighRisk: destinations?.allowHighRisk ?? tenant.allowHighRisk,
    allowFraud: destinations?.allowFraud ?? tenant.allowFraud,
    maxDurationSeconds:
      checkCount(limits.maxDurationSeconds, `${where} maxDurationSeconds`, problems) ??
      tenant.maxDurationSeconds,
    maxConcurrent:
      checkCount(limits.maxConcurrent, `${where} maxConcurrent`, problems) ?? tenant.maxConcurrent,
    maxCallsPerMinute:
      checkCount(limits.maxCallsPerMinute, `${where} maxCallsPerMinute`, problems) ??
      tenant.maxCallsPerMinute,
    maxCallsPerHour:
      checkCount(limits.maxCallsPerHour, `${where} maxCallsPerHour`, problems) ?? tenant.maxCallsPerHour,
    source: compileSource(device.source, 'device', tenant.source, problems),
    stepUp: device.stepUp === null ? undefined : (device.stepUp ?? tenant.stepUp),
  };
}

function checkStepUp(firstCalls: number, maxDuration: number, where: string, problems: Problems): void {
  checkCount(firstCalls, `${where} stepUp.firstCalls`, problems);
  if (!(maxDuration > 0)) problems.add(`${where} stepUp.maxDurationSeconds must be positive`);
}

function compileSpendCaps(data: PolicyData, problems: Problems): CompiledSpendCaps | undefined {
  const caps = data.spendCaps;
  if (!caps || (caps.daily === undefined && caps.monthly === undefined)) return undefined;
  return {
    daily: checkAmount(caps.daily, 'spendCaps.daily', problems),
    monthly: checkAmount(caps.monthly, 'spendCaps.monthly', problems),
    dailyEscalation: checkLockLevel(caps.dailyEscalation ?? 1, 'spendCaps.dailyEscalation', problems),
    monthlyEscalation: checkLockLevel(caps.monthlyEscalation ?? 2, 'spendCaps.monthlyEscalation', problems),
  };
}

function compileTimezone(data: PolicyData, problems: Problems): CompiledHours | undefined {
  let formatter: Intl.DateTimeFormat;
  try {
    formatter = createZoneFormatter(data.timezone);
  } catch {
    problems.add(`timezone "${data.timezone}" is not a known IANA zone`);
    return undefined;
  }
  if (!data.internationalHours) return undefined;
  const hours = compileHours(data.internationalHours, formatter);
  if (Array.isArray(hours)) {
    hours.forEach((problem) => problems.add(problem));
    return undefined;
  }
  return hours;
}

function compileEmergency(data: PolicyData, problems: Problems): ReadonlySet<string> {
  const numbers = data.emergencyNumbers ?? emergencyNumbersFor(data.country);
  for (const number of numbers) {
    if (!/^\d{2,6}$/.test(number)) problems.add(`emergencyNumbers: "${number}" must be 2 to 6 digits`);
  }
  return new Set(numbers);
}

/**
 * Validates the policy and builds its lookup structures. Throws PolicyCompileError listing every
 * problem; callers cache the result per tenant and rebuild it when the policy changes.
 */
export function compilePolicy(data: PolicyData): CompiledPolicy {
  const problems = new Problems();
  if (!/^[A-Za-z]{2}$/.test(data.country))
    problems.add(`country "${data.country}" must be an ISO alpha-2 code`);
  const tierData = data.tierData ?? DEFAULT_TIER_DATA;
  const limits = data.limits ?? {};
  const destinations = data.destinations;
  if (data.stepUp) checkStepUp(data.stepUp.firstCalls, data.stepUp.maxDurationSeconds, 'tenant', problems);
  const wangiriSeconds = checkAmount(data.wangiri?.windowSeconds, 'wangiri.windowSeconds', problems);

  const tenantDevice: CompiledDevice = {
    deviceId: undefined,
    lockLevel: 0,
    rules: undefined,
    countries: upperKeys(destinations?.countries),
    countryRuleIds: upperKeys(destinations?.countryRuleIds),
    allowHighRisk: destinations?.allowHighRisk ?? false,
    allowFraud: destinations?.allowFraud ?? false,
    maxDurationSeconds: checkCount(limits.maxDurationSeconds, 'limits.maxDurationSeconds', problems),
    maxConcurrent: checkCount(limits.maxConcurrent, 'limits.maxConcurrent', problems),
    maxCallsPerMinute: checkCount(limits.maxCallsPerMinute, 'limits.maxCallsPerMinute', problems),
    maxCallsPerHour: checkCount(limits.maxCallsPerHour, 'limits.maxCallsPerHour', problems),
    source: compileSource(data.source, 'tenant', {}, problems),
    stepUp: data.stepUp,
  };
  const devices = new Map<string, CompiledDevice>();
  for (const device of data.devices ?? []) {
    if (devices.has(device.deviceId)) problems.add(`device ${device.deviceId} is listed twice`);
    devices.set(device.deviceId, compileDevice(device, tenantDevice, problems));
  }

  const rules = buildRuleTrie(destinations, 'tenant', 'tenant', problems);
  const countries = buildCountryTrie(tierData, problems);
  const fraudRanges = buildFraudTrie(tierData, problems);
  const rates = buildRateTrie(data.rates ?? [], problems);
  const deviceTries = [...devices.values()].flatMap((device) => device.rules ?? []);
  const tries = [rules, countries, fraudRanges, rates, ...deviceTries];
  const compiled: CompiledPolicy = {
    tenantId: data.tenantId,
    country: data.country.toUpperCase(),
    timezone: data.timezone,
    lockLevel: checkLockLevel(data.lockLevel, 'tenant', problems),
    emergencyNumbers: compileEmergency(data, problems),
    rules,
    countries,
    fraudRanges,
    rates,
    tenantDevice,
    devices,
    tenantMaxConcurrent: checkCount(limits.tenantMaxConcurrent, 'limits.tenantMaxConcurrent', problems),
    tenantMaxCallsPerMinute: checkCount(
      limits.tenantMaxCallsPerMinute,
      'limits.tenantMaxCallsPerMinute',
      problems,
    ),
    tenantMaxCallsPerHour: checkCount(limits.tenantMaxCallsPerHour, 'limits.tenantMaxCallsPerHour', problems),
    spendCaps: compileSpendCaps(data, problems),
    wangiriWindowMs: wangiriSeconds === undefined ? undefined : wangiriSeconds * 1000,
    internationalHours: compileTimezone(data, problems),
    warnings: problems.warnings,
    stats: {
      prefixRules: deviceTries.reduce((sum, trie) => sum + trie.size, rules.size),
      countryPrefixes: countries.size,
      fraudRanges: fraudRanges.size,
      rates: rates.size,
      devices: devices.size,
      trieNodes: tries.reduce((sum, trie) => sum + trie.nodeCount, 0),
      trieBytes: tries.reduce((sum, trie) => sum + trie.byteLength, 0),
    },
  };
  problems.throwIfAny();
  return compiled;
}
