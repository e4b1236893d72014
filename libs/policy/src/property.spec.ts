import { cidrContains, parseCidr, parseIp } from './cidr';
import { compilePolicy } from './compile';
import { decide } from './decide';
import { PrefixTrie } from './prefix-trie';
import { attempt, counters, policyData } from './testing/fixtures';
import { createPrng, randomInt } from './testing/prng';
import type { FraudRange, PrefixRule, RuleAction } from './types';

/** Digits drawn from a small alphabet so random prefixes overlap often. */
function narrowDigits(next: () => number, length: number): string {
  let out = String(randomInt(next, 1, 3));
  while (out.length < length) out += String(randomInt(next, 0, 3));
  return out;
}

function randomRules(next: () => number, tag: string): PrefixRule[] {
  const count = randomInt(next, 0, 12);
  return Array.from({ length: count }, (_, i) => ({
    id: `${tag}${i}`,
    prefix: (next() < 0.5 ? '+' : '') + narrowDigits(next, randomInt(next, 1, 6)),
    action: (next() < 0.5 ? 'allow' : 'deny') as RuleAction,
  }));
}

function digitsOf(prefix: string): string {
  return prefix.replace('+', '');
}

/** Longest match by brute force; a repeated prefix keeps the first rule unless a later one denies. */
function naiveLongest(rules: PrefixRule[], digits: string): PrefixRule | undefined {
  let best: PrefixRule | undefined;
  for (const rule of rules) {
    const prefix = digitsOf(rule.prefix);
    if (!digits.startsWith(prefix)) continue;
    const bestLength = best ? digitsOf(best.prefix).length : -1;
    if (
      prefix.length > bestLength ||
      (prefix.length === bestLength && rule.action === 'deny' && best?.action === 'allow')
    )
      best = rule;
  }
  return best;
}

function naiveDecision(
  tenant: PrefixRule[],
  device: PrefixRule[],
  fraud: FraudRange[],
  digits: string,
): string {
  const tenantRule = naiveLongest(tenant, digits);
  const deviceRule = naiveLongest(device, digits);
  const length = (rule?: PrefixRule) => (rule ? digitsOf(rule.prefix).length : -1);
  const rule = length(deviceRule) >= length(tenantRule) ? (deviceRule ?? tenantRule) : tenantRule;
  const fraudLength = Math.max(
    -1,
    ...fraud.filter((r) => digits.startsWith(r.prefix)).map((r) => r.prefix.length),
  );
  if (rule && length(rule) >= fraudLength) return `${rule.action}:prefix:${rule.id}`;
  if (fraudLength >= 0) return `deny:fraud-range:+${digits.slice(0, fraudLength)}`;
  return 'allow:country-tier:low:AA';
}

describe('property: longest prefix wins', () => {
  it('PrefixTrie agrees with a brute-force scan', () => {
    const next = createPrng(0xc0ffee);
    for (let round = 0; round < 300; round++) {
      const prefixes = Array.from({ length: randomInt(next, 1, 40) }, () =>
        narrowDigits(next, randomInt(next, 1, 7)),
      );
      const trie = PrefixTrie.build(prefixes.map((prefix) => [prefix, prefix] as const));
      for (let i = 0; i < 30; i++) {
        const number = narrowDigits(next, randomInt(next, 1, 12));
        const expected = prefixes
          .filter((prefix) => number.startsWith(prefix))
          .reduce<string | undefined>(
            (best, prefix) => (!best || prefix.length > best.length ? prefix : best),
            undefined,
          );
        expect(trie.longest(number)).toBe(expected);
      }
    }
  });

  it('decide agrees with a naive reference over tenant rules, device rules and fraud ranges', () => {
    const next = createPrng(42);
    let cases = 0;
    for (let round = 0; round < 250; round++) {
      const tenantRules = randomRules(next, 't');
      const deviceRules = randomRules(next, 'd');
      const fraudRanges = Array.from({ length: randomInt(next, 0, 3) }, () => ({
        prefix: narrowDigits(next, randomInt(next, 2, 5)),
      }));
      const compiled = compilePolicy(
        policyData({
          country: 'AA',
          tierData: { callingCodes: { '1': 'AA', '2': 'AA', '3': 'AA' }, countryTiers: {}, fraudRanges },
          destinations: { prefixRules: tenantRules },
          devices: [{ deviceId: 'dev-1', destinations: { prefixRules: deviceRules } }],
        }),
      );
      for (let i = 0; i < 40; i++) {
        const digits = narrowDigits(next, randomInt(next, 7, 15));
        const result = decide(compiled, counters(), attempt(`+${digits}`));
        expect(`${result.decision}:${result.ruleId}`).toBe(
          naiveDecision(tenantRules, deviceRules, fraudRanges, digits),
        );
        cases++;
      }
    }
    expect(cases).toBe(10_000);
  });
});

describe('property: CIDR matching', () => {
  function randomBits(next: () => number, count: number): string {
    let bits = '';
    for (let i = 0; i < count; i++) bits += next() < 0.5 ? '0' : '1';
    return bits;
  }

  function format(bits: string, family: 4 | 6): string {
    const size = family === 4 ? 8 : 16;
    const groups: string[] = [];
    for (let i = 0; i < bits.length; i += size) {
      const value = parseInt(bits.slice(i, i + size), 2);
      groups.push(family === 4 ? String(value) : value.toString(16));
    }
    return groups.join(family === 4 ? '.' : ':');
  }

  it.each([4, 6] as const)('IPv%i containment agrees with comparing bit strings', (family) => {
    const next = createPrng(family * 7919);
    const width = family === 4 ? 32 : 128;
    for (let i = 0; i < 3000; i++) {
      const network = randomBits(next, width);
      const bits = randomInt(next, 0, width);
      // Half the addresses share the prefix, so both outcomes are exercised.
      const address =
        next() < 0.5 ? network.slice(0, bits) + randomBits(next, width - bits) : randomBits(next, width);
      const cidr = parseCidr(`${format(network, family)}/${bits}`);
      const ip = parseIp(format(address, family));
      if (!cidr || !ip) throw new Error('generator produced an unparseable address');
      expect(cidrContains(cidr, ip)).toBe(address.slice(0, bits) === network.slice(0, bits));
    }
  });
});
