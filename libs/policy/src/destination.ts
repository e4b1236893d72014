import type { CompiledCountry, CompiledDevice, CompiledPolicy, CompiledRule } from './compiled';
import type { RiskTier, RuleAction } from './types';

export const UNKNOWN_COUNTRY = 'ZZ';

export interface DestinationVerdict {
  action: RuleAction;
  ruleId: string;
  /** The rule row that decided, when one did. */
  decidingRuleId?: string;
  reason: string;
}

/** Longest prefix across the tenant and device layers; on equal length the device rule wins. */
export function matchPrefixRule(
  policy: CompiledPolicy,
  device: CompiledDevice,
  e164: string,
): CompiledRule | undefined {
  const tenantRule = policy.rules.longest(e164, 1);
  const deviceRule = device.rules?.longest(e164, 1);
  if (!deviceRule) return tenantRule;
  if (!tenantRule) return deviceRule;
  return deviceRule.prefix.length >= tenantRule.prefix.length ? deviceRule : tenantRule;
}

function tierVerdict(device: CompiledDevice, country: string, tier: RiskTier): DestinationVerdict {
  const ruleId = `country-tier:${tier}:${country}`;
  if (tier === 'low') return { action: 'allow', ruleId, reason: `${country} is a low-risk destination` };
  const enabled = tier === 'high_risk' ? device.allowHighRisk : device.allowFraud;
  const label = tier === 'high_risk' ? 'high-risk' : 'toll-fraud';
  return enabled
    ? {
        action: 'allow',
        ruleId,
        reason: `${country} is a ${label} destination, enabled for this tenant/device`,
      }
    : { action: 'deny', ruleId, reason: `${country} is a ${label} destination, not enabled` };
}

/**
 * Order: an explicit prefix rule at least as specific as any known fraud range, then the fraud
 * range, then an explicit country permission, then the country's tier default. So "allow +44"
 * does not open the premium range +449 unless fraud ranges are enabled or a rule names it.
 */
export function evaluateDestination(
  policy: CompiledPolicy,
  device: CompiledDevice,
  e164: string,
  country: CompiledCountry | undefined,
): DestinationVerdict {
  const rule = matchPrefixRule(policy, device, e164);
  const fraud = policy.fraudRanges.longest(e164, 1);
  if (rule && (!fraud || device.allowFraud || rule.prefix.length >= fraud.prefix.length)) {
    const verb = rule.action === 'allow' ? 'allows' : 'denies';
    return {
      action: rule.action,
      ruleId: `prefix:${rule.id}`,
      decidingRuleId: rule.id,
      reason: `${rule.layer} prefix rule ${rule.id} ${verb} +${rule.prefix}`,
    };
  }
  if (fraud && !device.allowFraud) {
    return {
      action: 'deny',
      ruleId: `fraud-range:+${fraud.prefix}`,
      reason: `+${fraud.prefix} is a known toll-fraud range (${fraud.label})`,
    };
  }
  const iso = country?.country ?? UNKNOWN_COUNTRY;
  const permission = device.countries[iso];
  if (permission) {
    const rowId = device.countryRuleIds[iso];
    return {
      action: permission,
      ruleId: `country:${iso}`,
      ...(rowId ? { decidingRuleId: rowId } : {}),
      reason: `calls to ${iso} are explicitly ${permission === 'allow' ? 'allowed' : 'denied'}`,
    };
  }
  return tierVerdict(device, iso, country?.tier ?? 'high_risk');
}
