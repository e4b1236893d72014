import { isDigits, isToken, isWhitespace } from './sip-grammar';

/** Start-line and character-level checks of the SIP parser (RFC 3261 §7.1, §7.2, §25). */
export interface StartLine {
  kind: 'request' | 'response';
  method?: string;
  uri?: string;
  status?: number;
  reason?: string;
}

export type Problem = [status: number, reason: string];

/**
 * Control characters may only appear escaped as a quoted-pair (RFC 3261 §25.1; RFC 4475 §3.1.1.2 has
 * BEL, NUL and DEL that way), and lines must end in CRLF. A bare CR or LF is refused: the raw message is
 * relayed to apps whose parsers may split lines differently, and two views of one header block is how
 * smuggling starts.
 */
export function badControlChar(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0x20 && c !== 0x7f) || c === 0x09) continue;
    if (c === 0x0d && text.charCodeAt(i + 1) === 0x0a) {
      i++;
      continue;
    }
    if (c === 0x0d || c === 0x0a) return 'Bare CR or LF in headers';
    if (i === 0 || text.charCodeAt(i - 1) !== 0x5c) return 'Control character in headers';
  }
  return undefined;
}

/** RFC 3261 §19.1.1: a SIP Request-URI must not carry URI headers (`?Route=...`). */
function hasUriHeaders(uri: string): boolean {
  const c = uri.charCodeAt(3) | 0x20;
  if (
    (uri.charCodeAt(0) | 0x20) !== 0x73 ||
    (uri.charCodeAt(1) | 0x20) !== 0x69 ||
    (uri.charCodeAt(2) | 0x20) !== 0x70
  )
    return false;
  if (uri.charCodeAt(3) !== 0x3a && !(c === 0x73 && uri.charCodeAt(4) === 0x3a)) return false;
  const at = uri.indexOf('@');
  return uri.indexOf('?', at < 0 ? 0 : at) >= 0;
}

export function stripCr(line: string): string {
  return line.charCodeAt(line.length - 1) === 0x0d ? line.slice(0, -1) : line;
}

function hasScheme(uri: string): boolean {
  const colon = uri.indexOf(':');
  if (colon < 1) return false;
  const c0 = uri.charCodeAt(0) | 0x20;
  return c0 >= 0x61 && c0 <= 0x7a;
}

export function parseStartLine(line: string): StartLine | Problem {
  if (line.length >= 4 && line.slice(0, 4).toUpperCase() === 'SIP/') {
    const sp = line.indexOf(' ');
    if (sp < 0) return [400, 'Malformed status line'];
    if (line.slice(0, sp).toUpperCase() !== 'SIP/2.0') return [505, 'Version Not Supported'];
    const code = line.slice(sp + 1, sp + 4);
    const after = line.charCodeAt(sp + 4);
    if (!isDigits(code) || code.length !== 3 || (line.length > sp + 4 && after !== 0x20)) {
      return [400, 'Malformed status code'];
    }
    const status = Number(code);
    if (status < 100 || status > 699) return [400, 'Status code out of range'];
    return { kind: 'response', status, reason: line.slice(sp + 5) };
  }
  const sp1 = line.indexOf(' ');
  const sp2 = line.lastIndexOf(' ');
  if (sp1 < 1 || sp2 === sp1) return [400, 'Malformed request line'];
  const method = line.slice(0, sp1);
  if (!isToken(method)) return [400, 'Invalid method'];
  const uri = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  for (let i = 0; i < uri.length; i++) {
    if (isWhitespace(uri.charCodeAt(i))) return [400, 'Malformed Request-URI'];
  }
  if (!hasScheme(uri) || hasUriHeaders(uri)) return [400, 'Malformed Request-URI'];
  const start: StartLine = { kind: 'request', method, uri };
  if (version.toUpperCase() !== 'SIP/2.0') {
    return version.slice(0, 4).toUpperCase() === 'SIP/'
      ? [505, 'Version Not Supported']
      : [400, 'Malformed SIP version'];
  }
  return start;
}
