import { createHash, timingSafeEqual } from 'node:crypto';

/** Digest algorithms a device may use (RFC 8760 adds SHA-256 to SIP; MD5 stays for older phones). */
export const DIGEST_ALGORITHMS = ['SHA-256', 'MD5'] as const;
export type SipDigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];

const NODE_HASH: Record<SipDigestAlgorithm, string> = { 'SHA-256': 'sha256', MD5: 'md5' };

function h(alg: SipDigestAlgorithm, data: string): string {
  return createHash(NODE_HASH[alg]).update(data, 'utf8').digest('hex');
}

/** HA1 = H(username ":" realm ":" password), RFC 7616 §3.4.2; the only form a device secret is stored in. */
export function computeHa1(
  alg: SipDigestAlgorithm,
  username: string,
  realm: string,
  password: string,
): string {
  return h(alg, `${username}:${realm}:${password}`);
}

export interface DigestResponseInput {
  algorithm: SipDigestAlgorithm;
  /** HA1 as stored for the device, lower-case hex. */
  ha1: string;
  method: string;
  uri: string;
  nonce: string;
  /** Only 'auth' (or none, RFC 2069 style) is supported; auth-int needs the body and is refused. */
  qop?: 'auth';
  nc?: string;
  cnonce?: string;
}

/**
 * The `response` value a client must send (RFC 7616 §3.4.1): with qop=auth it is
 * H(HA1:nonce:nc:cnonce:qop:HA2), without qop H(HA1:nonce:HA2); HA2 = H(method:uri).
 */
export function computeDigestResponse(i: DigestResponseInput): string {
  const ha2 = h(i.algorithm, `${i.method}:${i.uri}`);
  if (i.qop === undefined) return h(i.algorithm, `${i.ha1}:${i.nonce}:${ha2}`);
  if (i.nc === undefined || i.cnonce === undefined) throw new Error('qop=auth requires nc and cnonce');
  return h(i.algorithm, `${i.ha1}:${i.nonce}:${i.nc}:${i.cnonce}:${i.qop}:${ha2}`);
}

/** Compares a client's response with the expected one in constant time (case-insensitive hex). */
export function verifyDigestResponse(i: DigestResponseInput, clientResponse: string): boolean {
  const expected = Buffer.from(computeDigestResponse(i), 'utf8');
  const given = Buffer.from(clientResponse.toLowerCase(), 'utf8');
  return expected.length === given.length && timingSafeEqual(expected, given);
}
