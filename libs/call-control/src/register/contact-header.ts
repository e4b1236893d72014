/** One value of a REGISTER's Contact header, as far as a registrar needs it (RFC 3261 §20.10, RFC 5626 §4.2). */
export interface ContactValue {
  /** The URI without angle brackets. */
  uri: string;
  /** `expires` parameter, when present and numeric. */
  expires?: number;
  /** `+sip.instance`, without its quotes, e.g. `<urn:uuid:…>`. */
  instanceId?: string;
  regId?: number;
}

export type ContactList = { kind: 'star' } | { kind: 'list'; contacts: ContactValue[] };

/** Bounds on what a phone may send, so a hostile REGISTER costs little. */
export const CONTACT_LIMITS = { maxContacts: 20, maxUriLength: 512 } as const;

/** Splits a header on commas outside quotes and angle brackets (RFC 3261 §7.3.1). */
export function splitHeaderList(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<') depth++;
    else if (c === '>') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter((s) => s.length > 0);
}

/** `name=value;…` header parameters; quoted values lose their quotes; names lower-cased. */
function headerParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  const re = /;\s*([^=;\s]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^;\s]*))?/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const v = m[2] ?? '';
    params.set(m[1].toLowerCase(), v.startsWith('"') ? v.slice(1, -1) : v);
  }
  return params;
}

function parseOne(raw: string): ContactValue | null {
  let uri: string;
  let rest: string;
  const lt = raw.indexOf('<');
  if (lt >= 0) {
    const gt = raw.indexOf('>', lt);
    if (gt < 0) return null;
    uri = raw.slice(lt + 1, gt).trim();
    rest = raw.slice(gt + 1);
  } else {
    // Without brackets every ';' parameter belongs to the header, not the URI (RFC 3261 §20).
    const semi = raw.indexOf(';');
    uri = (semi < 0 ? raw : raw.slice(0, semi)).trim();
    rest = semi < 0 ? '' : raw.slice(semi);
  }
  if (!/^sips?:[^\s]+$/i.test(uri) || uri.length > CONTACT_LIMITS.maxUriLength) return null;
  const p = headerParams(rest);
  const out: ContactValue = { uri };
  const exp = p.get('expires');
  if (exp !== undefined) {
    if (!/^\d{1,10}$/.test(exp)) return null;
    out.expires = Number(exp);
  }
  const instance = p.get('+sip.instance');
  if (instance) out.instanceId = instance.slice(0, 128);
  const regId = p.get('reg-id');
  if (regId !== undefined) {
    if (!/^\d{1,5}$/.test(regId)) return null;
    out.regId = Number(regId);
  }
  return out;
}

/** Parses a Contact header; null when any value is malformed or there are too many. */
export function parseContactHeader(value: string | undefined): ContactList | null {
  if (value === undefined || value.trim() === '') return { kind: 'list', contacts: [] };
  if (value.trim() === '*') return { kind: 'star' };
  const parts = splitHeaderList(value);
  if (parts.length > CONTACT_LIMITS.maxContacts) return null;
  const contacts: ContactValue[] = [];
  for (const part of parts) {
    if (part === '*') return null;
    const c = parseOne(part);
    if (!c) return null;
    contacts.push(c);
  }
  return { kind: 'list', contacts };
}

/** The user part and host of a SIP URI inside a From/To value, lower-cased host; null if not a SIP URI. */
export function parseAddress(value: string | undefined): { user: string; host: string } | null {
  if (!value) return null;
  const lt = value.indexOf('<');
  const addr = lt >= 0 ? value.slice(lt + 1, value.indexOf('>', lt) >>> 0) : value;
  const m = /^\s*sips?:(?:([^@;>\s]+)@)?([^;>:\s]+|\[[0-9a-fA-F:.]+\])/i.exec(addr);
  if (!m) return null;
  // user:password@host is deprecated (RFC 3261 §19.1.1); the password is never used.
  let user = (m[1] ?? '').split(':')[0];
  try {
    user = decodeURIComponent(user);
  } catch {
    return null;
  }
  return { user, host: m[2].toLowerCase() };
}
