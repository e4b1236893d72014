import type { PolicyDecision } from './types';

/**
 * The value of the SIP `Warning` header (RFC 3261 §20.43, warn-code 399 "miscellaneous") that the
 * SIP app adds to a policy refusal: the readable label, the id of the rule row that decided (what
 * an admin edits), and the reason. The warn-text is a quoted-string, so quotes and backslashes are
 * escaped and line breaks flattened.
 */
export function policyWarning(decision: PolicyDecision, agent = 'pbx'): string {
  const row = decision.decidingRuleId ? ` rule=${decision.decidingRuleId}` : '';
  const text = `${decision.decision} by ${decision.ruleId}${row}: ${decision.reason}`
    .replace(/[\r\n]+/g, ' ')
    .replace(/["\\]/g, (c) => `\\${c}`);
  return `399 ${agent} "${text}"`;
}
