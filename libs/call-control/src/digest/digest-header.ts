import type { SipDigestAlgorithm } from '@pbx/common';

/** The parameters of an `Authorization: Digest …` header (RFC 7616 §3.4, RFC 3261 §22.4). */
export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  /** As sent; RFC 7616 says MD5 when absent. */
  algorithm: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
  opaque?: string;
}

/** Longest header we parse; real ones are a few hundred bytes, and nothing here needs more. */
const MAX_HEADER = 2048;
const PARAM = /\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*("((?:[^"\\]|\\.)*)"|[^\s,"]+)\s*(,|$)/y;

/**
 * Parses a Digest credentials header. Returns null for anything that is not one: another scheme,
 * a malformed parameter list, a repeated parameter, or a missing required parameter.
 */
export function parseDigestCredentials(header: string | undefined): DigestCredentials | null {
  if (!header || header.length > MAX_HEADER) return null;
  const m = /^\s*Digest\s+/i.exec(header);
  if (!m) return null;
  const params = new Map<string, string>();
  PARAM.lastIndex = m[0].length;
  while (PARAM.lastIndex < header.length) {
    const p = PARAM.exec(header);
    if (!p) return null;
    const name = p[1].toLowerCase();
    if (params.has(name)) return null;
    params.set(name, p[3] !== undefined ? p[3].replace(/\\(.)/g, '$1') : p[2]);
    if (p[4] === '') break;
  }
  const get = (k: string) => params.get(k);
  const username = get('username');
  const realm = get('realm');
  const nonce = get('nonce');
  const uri = get('uri');
  const response = get('response');
  if (username === undefined || realm === undefined || !nonce || !uri || !response) return null;
  return {
    username,
    realm,
    nonce,
    uri,
    response,
    algorithm: get('algorithm') ?? 'MD5',
    qop: get('qop'),
    nc: get('nc'),
    cnonce: get('cnonce'),
    opaque: get('opaque'),
  };
}

/** Values we put between quotes in a challenge must not be able to break out of them. */
function quoted(v: string): string {
  return `"${v.replace(/["\\\r\n]/g, '')}"`;
}

/** One `WWW-Authenticate`/`Proxy-Authenticate` value per algorithm, preferred first (RFC 8760 §2.4). */
export function buildChallenges(
  realm: string,
  nonce: string,
  algorithms: readonly SipDigestAlgorithm[],
  stale: boolean,
): string[] {
  return algorithms.map(
    (alg) =>
      `Digest realm=${quoted(realm)}, nonce=${quoted(nonce)}, algorithm=${alg}, qop="auth"${stale ? ', stale=true' : ''}`,
  );
}

/** The algorithm a client named, in our spelling, or null if we do not support it. */
export function digestAlgorithmOf(given: string): SipDigestAlgorithm | null {
  const a = given.toUpperCase();
  if (a === 'MD5') return 'MD5';
  if (a === 'SHA-256') return 'SHA-256';
  return null;
}
