import type { RemoteInfo } from '../transport/transport';

const RPORT_RE = /;\s*rport(\s*=\s*\d*)?(?=;|,|\s|$)/i;
const RECEIVED_RE = /;\s*received\s*=\s*[^;,\s]*/gi;
const HAS_RECEIVED_RE = /;\s*received\s*=/i;

/**
 * Adds RFC 3581 `rport` (and RFC 3261 §18.2.1 `received` when the sent-by host differs from the packet's
 * source) to one Via element, as the stack does before relaying a request to the app [T03]. A `received`
 * the sender wrote itself is removed first: only the edge knows where a packet came from, and an app (a
 * registrar fixing NATed contacts, say) must never be told an address the sender chose.
 */
export function stampViaElement(element: string, viaHost: string, source: RemoteInfo): string {
  let out = HAS_RECEIVED_RE.test(element) ? element.replace(RECEIVED_RE, '') : element;
  if (viaHost !== source.address) out += `;received=${source.address}`;
  if (RPORT_RE.test(out)) return out.replace(RPORT_RE, `;rport=${source.port}`);
  return `${out};rport=${source.port}`;
}

/**
 * Rewrites the top Via of a raw request in place (string surgery, no re-serialization: this is the hot
 * path). Returns the new text and the stamped top Via element.
 */
export function stampTopVia(raw: string, viaHost: string, source: RemoteInfo): { text: string; topVia: string } {
  let lineStart = raw.indexOf('\r\n') + 2;
  const headEnd = raw.indexOf('\r\n\r\n');
  const limit = headEnd < 0 ? raw.length : headEnd + 2;
  while (lineStart > 1 && lineStart < limit) {
    let lineEnd = raw.indexOf('\r\n', lineStart);
    if (lineEnd < 0) lineEnd = raw.length;
    const colon = raw.indexOf(':', lineStart);
    if (colon > 0 && colon < lineEnd) {
      const name = raw.slice(lineStart, colon).trim().toLowerCase();
      if (name === 'via' || name === 'v') {
        let valueStart = colon + 1;
        while (raw.charCodeAt(valueStart) === 0x20 || raw.charCodeAt(valueStart) === 0x09) valueStart++;
        const comma = raw.indexOf(',', valueStart);
        const elemEnd = comma >= 0 && comma < lineEnd ? comma : lineEnd;
        const element = raw.slice(valueStart, elemEnd).trimEnd();
        const topVia = stampViaElement(element, viaHost, source);
        const rest = raw.slice(valueStart + element.length);
        return { text: raw.slice(0, valueStart) + topVia + rest, topVia };
      }
    }
    lineStart = lineEnd + 2;
  }
  return { text: raw, topVia: '' };
}

/** Branch and sent-by of a top Via, the transaction key parts (§17.2.3). */
export interface ViaKey {
  host: string;
  port: number;
  branch: string;
}

/**
 * The common case of a Via (`SIP/2.0/UDP host:port;...;branch=x`) read without a full parse; anything
 * unusual (IPv6, comments, odd spacing) returns undefined and the caller falls back to parseVia.
 */
export function fastViaKey(value: string): ViaKey | undefined {
  const sp = value.indexOf(' ');
  if (sp < 0 || value.indexOf('(') >= 0 || value.indexOf('[') >= 0) return undefined;
  let semi = value.indexOf(';', sp);
  const comma = value.indexOf(',', sp);
  if (semi < 0 || (comma >= 0 && comma < semi)) semi = comma >= 0 ? comma : value.length;
  const sentBy = value.slice(sp + 1, semi).trim();
  if (sentBy.indexOf(' ') >= 0) return undefined;
  const colon = sentBy.indexOf(':');
  const host = colon < 0 ? sentBy : sentBy.slice(0, colon);
  const port = colon < 0 ? 5060 : Number(sentBy.slice(colon + 1));
  if (!host || !(port > 0 && port < 65536)) return undefined;
  const b = value.indexOf(';branch=', semi);
  let branch = '';
  if (b >= 0) {
    let end = b + 8;
    while (end < value.length && value.charCodeAt(end) !== 0x3b && value.charCodeAt(end) !== 0x2c && value.charCodeAt(end) > 0x20) end++;
    branch = value.slice(b + 8, end);
  }
  return { host, port, branch };
}
