import { parseCidr, type Cidr } from './cidr';
import { isDigits } from './prefix-trie';
import type { LockLevel } from './types';

export class PolicyCompileError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid policy: ${problems.join('; ')}`);
    this.name = 'PolicyCompileError';
  }
}

/** Collects every problem so an admin sees all of them at once, not one per save. */
export class Problems {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];

  add(message: string): void {
    this.errors.push(message);
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  throwIfAny(): void {
    if (this.errors.length > 0) throw new PolicyCompileError(this.errors);
  }
}

/** "+44 20" style input is not accepted: loaders store bare digits or "+digits". */
export function toPrefixDigits(prefix: string, where: string, problems: Problems): string | undefined {
  const digits = prefix.startsWith('+') ? prefix.slice(1) : prefix;
  if (!isDigits(digits) || digits.length > 15) {
    problems.add(`${where}: prefix "${prefix}" must be 1 to 15 digits, optionally after '+'`);
    return undefined;
  }
  return digits;
}

export function checkLockLevel(value: number | undefined, where: string, problems: Problems): LockLevel {
  if (value === undefined) return 0;
  if (value === 0 || value === 1 || value === 2 || value === 3) return value;
  problems.add(`${where}: lock level ${value} must be 0, 1, 2 or 3`);
  return 3;
}

export function checkCount(value: number | undefined, where: string, problems: Problems): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0) {
    problems.add(`${where}: ${value} must be a non-negative integer`);
    return undefined;
  }
  return value;
}

export function checkAmount(
  value: number | undefined,
  where: string,
  problems: Problems,
): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value < 0) {
    problems.add(`${where}: ${value} must be a non-negative number`);
    return undefined;
  }
  return value;
}

export function checkCidrs(cidrs: readonly string[], where: string, problems: Problems): Cidr[] {
  const parsed: Cidr[] = [];
  for (const text of cidrs) {
    const cidr = parseCidr(text.trim());
    if (cidr) parsed.push(cidr);
    else problems.add(`${where}: "${text}" is not an IPv4/IPv6 address or CIDR`);
  }
  return parsed;
}

export function countrySet(codes: readonly string[]): ReadonlySet<string> {
  return new Set(codes.map((code) => code.toUpperCase()));
}
