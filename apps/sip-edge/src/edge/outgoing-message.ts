import { AppHeader, isKnownHeader } from './app-message';

/** Headers the stack itself writes in front of the app's; the app's copies of them are ignored. */
const STACK_WRITTEN = new Set(['from', 'to', 'call-id', 'cseq', 'max-forwards', 'contact', 'content-type']);

/**
 * Serializes a message the way drachtio-server lays it out [T05] [T09]: the stack's headers (Via, Route,
 * Max-Forwards, From, To, Call-ID, CSeq, Contact) first, then headers it knows, Content-Type,
 * Content-Length, and last the headers it does not know (e.g. `X-Demo`).
 */
export function assemble(
  startLine: string,
  stack: ReadonlyArray<readonly [string, string]>,
  app: readonly AppHeader[],
  body: Buffer,
  contentType?: string,
): Buffer {
  let head = `${startLine}\r\n`;
  for (const [name, value] of stack) head += `${name}: ${value}\r\n`;
  let unknown = '';
  for (const h of app) {
    if (STACK_WRITTEN.has(h.key)) continue;
    if (isKnownHeader(h.key)) head += `${h.name}: ${h.value}\r\n`;
    else unknown += `${h.name}: ${h.value}\r\n`;
  }
  if (contentType) head += `Content-Type: ${contentType}\r\n`;
  head += `Content-Length: ${body.length}\r\n${unknown}\r\n`;
  if (body.length === 0) return Buffer.from(head, 'utf8');
  const headLen = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLen + body.length);
  out.write(head, 0, 'utf8');
  body.copy(out, headLen);
  return out;
}

/**
 * Content-Type for an app body: the app's, or application/sdp when the body starts with `v=0` (§6).
 * Returns undefined for an untyped non-SDP body, which a request must refuse and a response sends bare.
 */
export function contentTypeFor(appType: string | undefined, body: Buffer): string | undefined {
  if (appType) return appType;
  if (body.length === 0) return undefined;
  return body.subarray(0, 3).toString('latin1') === 'v=0' ? 'application/sdp' : undefined;
}

/** Value of the `tag` parameter of a From/To value, found without a full name-addr parse. */
export function tagOf(value: string | undefined): string {
  if (!value) return '';
  const gt = value.lastIndexOf('>');
  const i = value.indexOf(';tag=', gt < 0 ? 0 : gt);
  if (i < 0) {
    const j = value.toLowerCase().indexOf(';tag=', gt < 0 ? 0 : gt);
    if (j < 0) return '';
    return readParam(value, j + 5);
  }
  return readParam(value, i + 5);
}

function readParam(s: string, from: number): string {
  let end = from;
  while (end < s.length) {
    const c = s.charCodeAt(end);
    if (c === 0x3b || c === 0x20 || c === 0x2c || c === 0x09) break;
    end++;
  }
  return s.slice(from, end);
}

/** A From/To/Contact value with its `tag` removed (the dialog keeps tags separately). */
export function withoutTag(value: string): string {
  return value.replace(/;tag=[^;,\s]*/i, '');
}

/** Turns an addr-spec (`sip:a@b`) into a name-addr (`<sip:a@b>`), keeping any header params outside. */
export function asNameAddr(value: string): string {
  const v = value.trim();
  if (v.indexOf('<') >= 0) return v;
  const semi = v.indexOf(';');
  return semi < 0 ? `<${v}>` : `<${v.slice(0, semi)}>${v.slice(semi)}`;
}

/** The URI inside a name-addr or addr-spec value. */
export function uriOf(value: string): string {
  const lt = value.indexOf('<');
  if (lt >= 0) {
    const gt = value.indexOf('>', lt);
    return value.slice(lt + 1, gt < 0 ? undefined : gt).trim();
  }
  const semi = value.indexOf(';');
  return (semi < 0 ? value : value.slice(0, semi)).trim();
}
