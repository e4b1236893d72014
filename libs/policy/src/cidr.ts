export interface IpAddress {
  family: 4 | 6;
  /** Big-endian 32-bit words: one for IPv4, four for IPv6. */
  words: readonly number[];
}

export interface Cidr extends IpAddress {
  bits: number;
}

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Hand-rolled: this runs on every INVITE when a CIDR list is set, and split + regex costs ~10x. */
function parseIpv4(text: string): number | undefined {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i === text.length ? 46 : text.charCodeAt(i);
    if (c === 46) {
      // Leading zeros are rejected: some stacks read "010" as octal.
      if (digits === 0 || octet > 255 || (digits > 1 && text.charCodeAt(i - digits) === 48)) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      octet = octet * 10 + c - 48;
      digits++;
    } else {
      return undefined;
    }
  }
  return dots === 4 ? value : undefined;
}

function parseGroups(text: string): number[] | undefined {
  if (text === '') return [];
  const groups: number[] = [];
  const parts = text.split(':');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIpv4(part);
      if (v4 === undefined) return undefined;
      groups.push(v4 >>> 16, v4 & 0xffff);
    } else if (HEX_GROUP.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

function parseIpv6(text: string): number[] | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0]);
  const tail = halves.length === 2 ? parseGroups(halves[1]) : [];
  if (!head || !tail) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return undefined;
  const words: number[] = [];
  for (let i = 0; i < 8; i += 2) words.push(((groups[i] << 16) | groups[i + 1]) >>> 0);
  return words;
}

/** Parses an IPv4 or IPv6 address; IPv4-mapped IPv6 (::ffff:a.b.c.d) comes back as IPv4. */
export function parseIp(text: string): IpAddress | undefined {
  if (!text.includes(':')) {
    const v4 = parseIpv4(text);
    return v4 === undefined ? undefined : { family: 4, words: [v4] };
  }
  const unbracketed = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const words = parseIpv6(unbracketed);
  if (!words) return undefined;
  if (words[0] === 0 && words[1] === 0 && words[2] === 0xffff) return { family: 4, words: [words[3]] };
  return { family: 6, words };
}

function maskWord(word: number, bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return word >>> 0;
  return (word & (~0 << (32 - bits))) >>> 0;
}

/** Parses "a.b.c.d/n", "x::y/n" or a bare address (host route); host bits are cleared. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const address = parseIp(slash === -1 ? text : text.slice(0, slash));
  if (!address) return undefined;
  const maxBits = address.family === 4 ? 32 : 128;
  let bits = maxBits;
  if (slash !== -1) {
    const suffix = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(suffix)) return undefined;
    bits = Number(suffix);
    // "::ffff:10.0.0.0/104" is an IPv4 /8 once mapped.
    if (address.family === 4 && text.slice(0, slash).includes(':')) bits -= 96;
    if (bits < 0 || bits > maxBits) return undefined;
  }
  const words = address.words.map((word, i) => maskWord(word, bits - i * 32));
  return { family: address.family, words, bits };
}

export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.family !== ip.family) return false;
  for (let i = 0; i < cidr.words.length; i++) {
    const bits = cidr.bits - i * 32;
    if (bits <= 0) return true;
    if (maskWord(ip.words[i], bits) !== cidr.words[i]) return false;
  }
  return true;
}

export function anyCidrContains(cidrs: readonly Cidr[], ip: IpAddress): boolean {
  for (const cidr of cidrs) if (cidrContains(cidr, ip)) return true;
  return false;
}
