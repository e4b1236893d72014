import { indexOfUnquoted, isDigits, isHostname, isIpv6Literal, isToken, isWhitespace } from './sip-grammar';
import { splitHeaderList } from './sip-headers';

/** Header or URI parameters; keys are lower case, a flag parameter (`;lr`) has the value `null`. */
export type SipParams = Record<string, string | null>;

export interface HostPort {
  /** Host name or IP; an IPv6 reference keeps no brackets here. */
  host: string;
  port?: number;
}

export interface SipUri extends HostPort {
  /** Lower case, e.g. `sip`, `sips`, `tel`. */
  scheme: string;
  user?: string;
  password?: string;
  params: SipParams;
  /** The part after `?`, unparsed. */
  headers?: string;
  /** For schemes other than sip/sips: everything after `scheme:`. */
  opaque?: string;
}

export interface Via extends HostPort {
  /** e.g. `SIP/2.0`. */
  protocol: string;
  /** Upper case, e.g. `UDP`, `TCP`, `TLS`, `WS`, `WSS`. */
  transport: string;
  params: SipParams;
  branch?: string;
  /** RFC 3581: a number when filled in, `null` when requested without a value, absent otherwise. */
  rport?: number | null;
  received?: string;
}

export interface NameAddr {
  displayName?: string;
  /** The URI text as written, without angle brackets. */
  uri: string;
  /** Header parameters (outside the angle brackets). */
  params: SipParams;
  tag?: string;
}

export interface CSeq {
  seq: number;
  method: string;
}

/** Parses `;a=b;c;d="x;y"` starting at `from` (which should point at the first `;`). */
export function parseParams(s: string, from = 0, to = s.length): SipParams {
  const params: SipParams = Object.create(null) as SipParams;
  let i = from;
  while (i < to) {
    while (i < to && (s.charCodeAt(i) === 0x3b || isWhitespace(s.charCodeAt(i)))) i++;
    if (i >= to) break;
    let end = indexOfUnquoted(s, 0x3b, i);
    if (end < 0 || end > to) end = to;
    const part = s.slice(i, end);
    const eq = part.indexOf('=');
    if (eq < 0) params[part.trim().toLowerCase()] = null;
    else params[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim();
    i = end + 1;
  }
  return params;
}

/** True when a `;`-separated parameter list starting at `from` has an empty element (`;;` or a trailing `;`). */
export function hasEmptyParam(s: string, from: number): boolean {
  let i = from;
  while (i < s.length) {
    let end = indexOfUnquoted(s, 0x3b, i + 1);
    if (end < 0) end = s.length;
    let empty = true;
    for (let j = i + 1; j < end && empty; j++) if (!isWhitespace(s.charCodeAt(j))) empty = false;
    if (empty) return true;
    i = end;
  }
  return false;
}

export function formatParams(params: SipParams): string {
  let out = '';
  for (const key of Object.keys(params)) {
    const v = params[key];
    out += v === null ? `;${key}` : `;${key}=${v}`;
  }
  return out;
}

export function parseHostPort(s: string): HostPort | undefined {
  const t = s.trim();
  let host: string;
  let rest: string;
  if (t.charCodeAt(0) === 0x5b) {
    const close = t.indexOf(']');
    if (close < 0) return undefined;
    host = t.slice(1, close);
    if (!isIpv6Literal(host)) return undefined;
    rest = t.slice(close + 1);
  } else {
    const colon = t.indexOf(':');
    host = colon < 0 ? t : t.slice(0, colon);
    rest = colon < 0 ? '' : t.slice(colon);
    if (!isHostname(host)) return undefined;
  }
  if (rest.length === 0) return { host };
  if (rest.charCodeAt(0) !== 0x3a) return undefined;
  const portText = rest.slice(1).trim();
  if (!isDigits(portText) || portText.length > 5) return undefined;
  const port = Number(portText);
  return port <= 65535 ? { host, port } : undefined;
}

export function formatHostPort(hp: HostPort): string {
  const host = hp.host.indexOf(':') >= 0 ? `[${hp.host}]` : hp.host;
  return hp.port === undefined ? host : `${host}:${hp.port}`;
}

function schemeEnd(s: string): number {
  const colon = s.indexOf(':');
  if (colon < 1) return -1;
  const c0 = s.charCodeAt(0) | 0x20;
  if (c0 < 0x61 || c0 > 0x7a) return -1;
  for (let i = 1; i < colon; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 0x30 && c <= 0x39) ||
      ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) ||
      c === 0x2b ||
      c === 0x2d ||
      c === 0x2e;
    if (!ok) return -1;
  }
  return colon;
}

export function parseUri(text: string): SipUri | undefined {
  const s = text.trim();
  const colon = schemeEnd(s);
  if (colon < 0) return undefined;
  const scheme = s.slice(0, colon).toLowerCase();
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) <= 0x20) return undefined;
  if (scheme !== 'sip' && scheme !== 'sips') {
    const opaque = s.slice(colon + 1);
    return opaque.length > 0
      ? { scheme, host: '', params: Object.create(null) as SipParams, opaque }
      : undefined;
  }
  const at = s.indexOf('@', colon + 1);
  let user: string | undefined;
  let password: string | undefined;
  let hostStart = colon + 1;
  if (at >= 0) {
    const userinfo = s.slice(colon + 1, at);
    const pw = userinfo.indexOf(':');
    user = pw < 0 ? userinfo : userinfo.slice(0, pw);
    password = pw < 0 ? undefined : userinfo.slice(pw + 1);
    if (user.length === 0) return undefined;
    hostStart = at + 1;
  }
  const q = s.indexOf('?', hostStart);
  const end = q < 0 ? s.length : q;
  let semi = s.indexOf(';', hostStart);
  if (semi < 0 || semi > end) semi = end;
  const hp = parseHostPort(s.slice(hostStart, semi));
  if (!hp) return undefined;
  const uri: SipUri = { scheme, host: hp.host, params: parseParams(s, semi, end) };
  if (hp.port !== undefined) uri.port = hp.port;
  if (user !== undefined) uri.user = user;
  if (password !== undefined) uri.password = password;
  if (q >= 0) uri.headers = s.slice(q + 1);
  return uri;
}

export function parseNameAddr(text: string): NameAddr | undefined {
  const s = text.trim();
  let displayName: string | undefined;
  let i = 0;
  if (s.charCodeAt(0) === 0x22) {
    let j = 1;
    let name = '';
    for (; j < s.length; j++) {
      const c = s.charCodeAt(j);
      if (c === 0x5c) name += s[++j] ?? '';
      else if (c === 0x22) break;
      else name += s[j];
    }
    if (j >= s.length) return undefined;
    displayName = name;
    i = j + 1;
    while (i < s.length && isWhitespace(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) !== 0x3c) return undefined;
  }
  const lt = s.indexOf('<', i);
  let uri: string;
  let paramsFrom: number;
  if (lt >= 0) {
    const gt = s.indexOf('>', lt);
    if (gt < 0) return undefined;
    if (displayName === undefined) {
      const dn = s.slice(0, lt).trim();
      // An unquoted display name is a run of tokens (RFC 3261 §25.1); `Bell, Alexander` is not.
      for (let k = 0; k < dn.length; k++)
        if (!isWhitespace(dn.charCodeAt(k)) && !isToken(dn, k, k + 1)) return undefined;
      if (dn.length > 0) displayName = dn;
    }
    uri = s.slice(lt + 1, gt);
    if (uri.length === 0 || isWhitespace(uri.charCodeAt(0)) || isWhitespace(uri.charCodeAt(uri.length - 1)))
      return undefined;
    paramsFrom = gt + 1;
    while (paramsFrom < s.length && isWhitespace(s.charCodeAt(paramsFrom))) paramsFrom++;
    if (paramsFrom < s.length && s.charCodeAt(paramsFrom) !== 0x3b) return undefined;
  } else {
    // addr-spec form: RFC 3261 §20.10 says the parameters belong to the header, not the URI.
    const semi = s.indexOf(';');
    uri = (semi < 0 ? s : s.slice(0, semi)).trim();
    paramsFrom = semi < 0 ? s.length : semi;
    if (uri.indexOf(' ') >= 0 || uri.indexOf(',') >= 0 || uri.indexOf('?') >= 0) return undefined;
  }
  if (schemeEnd(uri) < 0) return undefined;
  const params = parseParams(s, paramsFrom);
  const out: NameAddr = { uri, params };
  if (displayName !== undefined) out.displayName = displayName;
  const tag = params.tag;
  if (tag) out.tag = tag;
  return out;
}

/** Parses the first Via element of a header value (a value may hold a comma list). */
export function parseVia(text: string): Via | undefined {
  const s = text.indexOf(',') >= 0 ? (splitHeaderList(text)[0] ?? '') : text;
  const slash1 = s.indexOf('/');
  const slash2 = slash1 < 0 ? -1 : s.indexOf('/', slash1 + 1);
  if (slash2 < 0) return undefined;
  const name = s.slice(0, slash1).trim();
  const version = s.slice(slash1 + 1, slash2).trim();
  if (!isToken(name) || !isToken(version)) return undefined;
  let i = slash2 + 1;
  while (i < s.length && isWhitespace(s.charCodeAt(i))) i++;
  const tStart = i;
  while (i < s.length && !isWhitespace(s.charCodeAt(i)) && s.charCodeAt(i) !== 0x3b) i++;
  if (!isToken(s, tStart, i)) return undefined;
  const transport = s.slice(tStart, i).toUpperCase();
  let semi = s.indexOf(';', i);
  if (semi < 0) semi = s.length;
  let sentBy = s.slice(i, semi);
  const comment = sentBy.indexOf('(');
  if (comment >= 0) sentBy = sentBy.slice(0, comment);
  const hp = parseHostPort(sentBy);
  if (!hp || hasEmptyParam(s, semi)) return undefined;
  const params = parseParams(s, semi);
  const via: Via = { protocol: `${name.toUpperCase()}/${version}`, transport, host: hp.host, params };
  if (hp.port !== undefined) via.port = hp.port;
  if (params.branch) via.branch = params.branch;
  if (params.received) via.received = params.received;
  if ('rport' in params) {
    const rp = params.rport;
    via.rport = rp === null || !isDigits(rp) ? null : Number(rp);
  }
  return via;
}

export function formatVia(via: Via): string {
  return `${via.protocol}/${via.transport} ${formatHostPort(via)}${formatParams(via.params)}`;
}

export function parseCSeq(text: string): CSeq | undefined {
  const s = text.trim();
  let i = 0;
  while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
  if (i === 0 || i > 10) return undefined;
  const seq = Number(s.slice(0, i));
  // RFC 3261 §8.1.1.5: the sequence number must be less than 2**31.
  if (seq > 0x7fffffff) return undefined;
  const methodStart = i;
  while (i < s.length && isWhitespace(s.charCodeAt(i))) i++;
  if (i === methodStart || !isToken(s, i)) return undefined;
  return { seq, method: s.slice(i) };
}
