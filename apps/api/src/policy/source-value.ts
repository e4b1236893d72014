import { BlockList, isIP } from 'node:net';
import { parseCidr } from '@pbx/policy';

const ISO2 = /^[A-Z]{2}$/;

/**
 * Checks and canonicalises a source rule value: a CIDR ("203.0.113.0/24", "2001:db8::/32") or a
 * bare address for cidr_allow, an ISO alpha-2 code for the country kinds. Returns the value to
 * store, or the error message.
 */
export function normaliseSourceValue(kind: string, raw: string): { value: string } | { error: string } {
  if (kind !== 'cidr_allow') {
    const code = raw.trim().toUpperCase();
    return ISO2.test(code) ? { value: code } : { error: 'The value field must be an ISO 3166-1 alpha-2 country code.' };
  }
  const invalid = { error: 'The value field must be an IPv4 or IPv6 address or CIDR, e.g. 203.0.113.0/24.' };
  const text = raw.trim();
  const [address, bits, extra] = text.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || extra !== undefined) return invalid;
  if (bits !== undefined) {
    const max = family === 4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return invalid;
    try {
      new BlockList().addSubnet(address, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
    } catch {
      return invalid;
    }
  }
  // The engine parses the same text at compile time; refuse what it would refuse.
  if (!parseCidr(text)) return invalid;
  return { value: text.toLowerCase() };
}
