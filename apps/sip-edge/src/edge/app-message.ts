import { headerKey } from '../sip/message';

/** One header line an app sent, after drachtio's header policy (§6 "Header policy"). */
export interface AppHeader {
  name: string;
  key: string;
  value: string;
}

/** A SIP message as an app writes it: often partial (no Via, lower-case names, `sip:placeholder`). */
export interface AppMessage {
  kind: 'request' | 'response';
  method: string;
  uri: string;
  status: number;
  reason: string;
  headers: AppHeader[];
  body: Buffer;
}

/** Headers the app may not set: the stack owns them (sofia's makeTags drops them silently). */
const STACK_OWNED = new Set(['via', 'route', 'record-route', 'rseq', 'content-length']);

const TOKEN_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

const SPECIAL_CASE: Record<string, string> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'mime-version': 'MIME-Version',
  rack: 'RAck',
  rseq: 'RSeq',
  'p-asserted-identity': 'P-Asserted-Identity',
};

/** Headers sofia knows; they get canonical case and go before Content-Length, the rest after [T09]. */
const KNOWN = new Set([
  'accept', 'accept-encoding', 'accept-language', 'alert-info', 'allow', 'allow-events', 'authentication-info',
  'authorization', 'call-id', 'call-info', 'contact', 'content-disposition', 'content-encoding',
  'content-language', 'content-type', 'cseq', 'date', 'error-info', 'event', 'expires', 'from', 'in-reply-to',
  'max-forwards', 'mime-version', 'min-expires', 'min-se', 'organization', 'priority', 'proxy-authenticate',
  'proxy-authorization', 'proxy-require', 'rack', 'reason', 'refer-to', 'referred-by', 'replaces', 'require',
  'retry-after', 'server', 'session-expires', 'subject', 'subscription-state', 'supported', 'timestamp', 'to',
  'unsupported', 'user-agent', 'warning', 'www-authenticate', 'path', 'service-route', 'privacy',
  'p-asserted-identity', 'p-preferred-identity', 'request-disposition', 'accept-contact', 'reject-contact',
]);

export function isKnownHeader(key: string): boolean {
  return KNOWN.has(key);
}

const canonicalCache = new Map<string, string>();

export function canonicalName(key: string): string {
  let name = canonicalCache.get(key);
  if (name === undefined) {
    name = SPECIAL_CASE[key] ?? key.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
    canonicalCache.set(key, name);
  }
  return name;
}

export class AppMessageError extends Error {}

/** Splits the SIP text of a `sip` command and applies the header policy; no validation beyond that. */
export function parseAppMessage(text: string): AppMessage {
  let headEnd = text.indexOf('\r\n\r\n');
  let bodyStart = headEnd + 4;
  if (headEnd < 0) {
    headEnd = text.length;
    bodyStart = text.length;
  }
  const lines = text.slice(0, headEnd).split('\r\n');
  const start = lines[0] ?? '';
  const msg: AppMessage = { kind: 'request', method: '', uri: '', status: 0, reason: '', headers: [], body: Buffer.alloc(0) };
  if (start.startsWith('SIP/2.0 ')) {
    msg.kind = 'response';
    msg.status = Number(start.slice(8, 11));
    msg.reason = start.slice(12) || 'OK';
    if (!(msg.status >= 100 && msg.status <= 699)) throw new AppMessageError('invalid status line');
  } else {
    const parts = start.split(' ');
    if (parts.length < 2) throw new AppMessageError('invalid request line');
    msg.method = parts[0].toUpperCase();
    msg.uri = parts[1];
  }
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const rawName = line.slice(0, colon).trim();
    if (!TOKEN_RE.test(rawName)) continue;
    const key = headerKey(rawName);
    if (STACK_OWNED.has(key)) continue;
    const name = KNOWN.has(key) ? canonicalName(key) : rawName;
    msg.headers.push({ name, key, value: line.slice(colon + 1).trim() });
  }
  if (bodyStart < text.length) msg.body = Buffer.from(text.slice(bodyStart), 'utf8');
  return msg;
}

export function getHeader(msg: AppMessage, key: string): string | undefined {
  for (const h of msg.headers) if (h.key === key) return h.value;
  return undefined;
}

export function removeHeader(msg: AppMessage, key: string): void {
  msg.headers = msg.headers.filter((h) => h.key !== key);
}

/** `@localhost` in From/To/Contact/P-Asserted-Identity becomes our SIP host:port (§6) [T05]. */
export function replaceLocalhost(msg: AppMessage, hostport: string): void {
  for (const h of msg.headers) {
    if (h.key === 'from' || h.key === 'to' || h.key === 'contact' || h.key === 'p-asserted-identity') {
      if (h.value.indexOf('@localhost') >= 0) h.value = h.value.replace(/@localhost(:\d+)?/g, `@${hostport}`);
    }
  }
}
