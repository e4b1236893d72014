/** RFC 3261 §7.3.3 compact forms, plus the ones later RFCs registered (3265, 3515, 3892, 4028, 3841, 4474). */
const COMPACT_FORMS = new Map<string, string>([
  ['i', 'call-id'],
  ['m', 'contact'],
  ['e', 'content-encoding'],
  ['l', 'content-length'],
  ['c', 'content-type'],
  ['f', 'from'],
  ['s', 'subject'],
  ['k', 'supported'],
  ['t', 'to'],
  ['v', 'via'],
  ['o', 'event'],
  ['u', 'allow-events'],
  ['r', 'refer-to'],
  ['b', 'referred-by'],
  ['x', 'session-expires'],
  ['a', 'accept-contact'],
  ['j', 'reject-contact'],
  ['d', 'request-disposition'],
  ['y', 'identity'],
  ['n', 'identity-info'],
]);

/**
 * Headers whose grammar is a comma-separated list of elements (RFC 3261 §7.3.1), so a line holding
 * several values may be split. Headers such as Date or WWW-Authenticate contain commas but are not lists.
 */
const LIST_HEADERS = new Set([
  'via',
  'route',
  'record-route',
  'contact',
  'path',
  'service-route',
  'allow',
  'supported',
  'require',
  'proxy-require',
  'unsupported',
  'allow-events',
  'accept',
  'accept-encoding',
  'accept-language',
  'p-asserted-identity',
]);

// Header names repeat endlessly (Via, From, CSeq ...); remembering their keys saves a toLowerCase per line.
const KEY_CACHE = new Map<string, string>();
const KEY_CACHE_MAX = 4096;

const COMMON_NAMES = [
  'Via',
  'From',
  'To',
  'Call-ID',
  'CSeq',
  'Contact',
  'Max-Forwards',
  'Content-Length',
  'Content-Type',
  'Expires',
  'User-Agent',
  'Server',
  'Allow',
  'Supported',
  'Require',
  'Route',
  'Record-Route',
  'Authorization',
  'WWW-Authenticate',
  'Proxy-Authorization',
  'Proxy-Authenticate',
  'Event',
  'Accept',
  'Subscription-State',
  'Session-Expires',
  'Min-SE',
  'Reason',
  'P-Asserted-Identity',
  'Refer-To',
  'Referred-By',
  'RSeq',
  'RAck',
  'Date',
];
// Seeded up front so that a flood of made-up names cannot keep the real ones out of the bounded cache.
for (const n of [...COMMON_NAMES, ...COMMON_NAMES.map((x) => x.toLowerCase()), ...COMPACT_FORMS.keys()]) {
  KEY_CACHE.set(n, n.length === 1 ? (COMPACT_FORMS.get(n) ?? n) : n.toLowerCase());
}

/** Canonical lookup key of a header name: lower case, compact form expanded. */
export function headerKey(name: string): string {
  const cached = KEY_CACHE.get(name);
  if (cached !== undefined) return cached;
  const lower = name.toLowerCase();
  const key = lower.length === 1 ? (COMPACT_FORMS.get(lower) ?? lower) : lower;
  if (KEY_CACHE.size < KEY_CACHE_MAX) KEY_CACHE.set(name, key);
  return key;
}

export function isListHeader(name: string): boolean {
  return LIST_HEADERS.has(headerKey(name));
}

/**
 * Splits a header value on top-level commas, ignoring commas inside quotes or angle brackets. Empty
 * elements are dropped unless `keepEmpty` (a parser uses that to reject `a,,b`).
 */
export function splitHeaderList(value: string, keepEmpty = false): string[] {
  if (value.indexOf(',') < 0) return [value.trim()];
  const out: string[] = [];
  let start = 0;
  let inQuote = false;
  let angle = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inQuote = false;
    } else if (c === 0x22) inQuote = true;
    else if (c === 0x3c) angle++;
    else if (c === 0x3e && angle > 0) angle--;
    else if (c === 0x2c && angle === 0) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return keepEmpty ? out : out.filter((v) => v.length > 0);
}

export interface SipHeaderEntry {
  /** The name as it appeared on the wire (or as set), e.g. `v` or `Via`. */
  readonly name: string;
  /** Canonical key: lower case, compact form expanded, e.g. `via`. */
  readonly key: string;
  value: string;
}

/**
 * Ordered multi-map of SIP headers. Keeps the original order and names; every lookup is
 * case-insensitive and treats a compact form (`v`) as its long form (`Via`).
 */
export class SipHeaders implements Iterable<[string, string]> {
  private list: SipHeaderEntry[] = [];

  constructor(init?: Iterable<readonly [string, string]>) {
    if (init) for (const [name, value] of init) this.list.push({ name, key: headerKey(name), value });
  }

  /** Appends an entry whose key is already canonical; the parser's fast path. */
  pushRaw(name: string, key: string, value: string): void {
    this.list.push({ name, key, value });
  }

  get size(): number {
    return this.list.length;
  }

  has(name: string): boolean {
    const key = headerKey(name);
    return this.list.some((e) => e.key === key);
  }

  /** Value of the first line with that name. */
  get(name: string): string | undefined {
    const key = headerKey(name);
    for (const e of this.list) if (e.key === key) return e.value;
    return undefined;
  }

  /** Values of every line with that name, in order (a line holding a comma list stays one value). */
  getAll(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    for (const e of this.list) if (e.key === key) out.push(e.value);
    return out;
  }

  /** Every element of a list header, comma lists split (e.g. all Route entries in order). */
  getValues(name: string): string[] {
    const values = this.getAll(name);
    if (!isListHeader(name)) return values;
    const out: string[] = [];
    for (const v of values) for (const part of splitHeaderList(v)) out.push(part);
    return out;
  }

  /** Replaces every line of that name by one line, kept where the first one was (or appended). */
  set(name: string, value: string): this {
    const key = headerKey(name);
    const idx = this.list.findIndex((e) => e.key === key);
    if (idx < 0) {
      this.list.push({ name, key, value });
      return this;
    }
    this.list[idx] = { name, key, value };
    this.list = this.list.filter((e, i) => i <= idx || e.key !== key);
    return this;
  }

  append(name: string, value: string): this {
    this.list.push({ name, key: headerKey(name), value });
    return this;
  }

  /** Inserts at the very top, so it becomes the first value of its name (e.g. a new Via). */
  prepend(name: string, value: string): this {
    this.list.unshift({ name, key: headerKey(name), value });
    return this;
  }

  /** Removes every line with that name; returns how many were removed. */
  remove(name: string): number {
    const key = headerKey(name);
    const before = this.list.length;
    this.list = this.list.filter((e) => e.key !== key);
    return before - this.list.length;
  }

  /**
   * Removes the first value of that name and returns it. For a list header whose first line holds
   * several comma-separated values, only the first element is removed (e.g. the top Via).
   */
  removeFirst(name: string): string | undefined {
    const key = headerKey(name);
    const idx = this.list.findIndex((e) => e.key === key);
    if (idx < 0) return undefined;
    const entry = this.list[idx];
    if (LIST_HEADERS.has(key) && entry.value.indexOf(',') >= 0) {
      const parts = splitHeaderList(entry.value);
      if (parts.length > 1) {
        entry.value = parts.slice(1).join(', ');
        return parts[0];
      }
    }
    this.list.splice(idx, 1);
    return entry.value;
  }

  /**
   * Replaces the first value of that name (for a comma list, its first element) and keeps everything else,
   * e.g. to stamp received/rport on the top Via. Returns false when there is no such header.
   */
  setFirst(name: string, value: string): boolean {
    const key = headerKey(name);
    const entry = this.list.find((e) => e.key === key);
    if (!entry) return false;
    if (LIST_HEADERS.has(key) && entry.value.indexOf(',') >= 0) {
      const parts = splitHeaderList(entry.value);
      parts[0] = value;
      entry.value = parts.join(', ');
    } else entry.value = value;
    return true;
  }

  entries(): IterableIterator<[string, string]> {
    return this.iterate();
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.iterate();
  }

  /** The raw entries, read-only (name, canonical key, value). */
  raw(): readonly SipHeaderEntry[] {
    return this.list;
  }

  clone(): SipHeaders {
    const copy = new SipHeaders();
    for (const e of this.list) copy.list.push({ name: e.name, key: e.key, value: e.value });
    return copy;
  }

  private *iterate(): IterableIterator<[string, string]> {
    for (const e of this.list) yield [e.name, e.value];
  }
}
