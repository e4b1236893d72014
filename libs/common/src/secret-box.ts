import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Key-encryption keys by version; the highest version encrypts, every version decrypts. */
export interface Keyring {
  keys: ReadonlyMap<number, Buffer>;
  current: number;
}

export class SecretBoxError extends Error {}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const BLOB = /^v([1-9][0-9]{0,5})\.([A-Za-z0-9+/]+={0,2})\.([A-Za-z0-9+/]+={0,2})\.([A-Za-z0-9+/]*={0,2})$/;

/** Parses `version:base64key,...` (SECRETS_KEKS). Each key must be 32 bytes; versions must be unique. */
export function parseKeyring(spec: string): Keyring {
  const keys = new Map<number, Buffer>();
  for (const part of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^([1-9][0-9]{0,5}):([A-Za-z0-9+/]+={0,2})$/.exec(part);
    if (!m) throw new SecretBoxError('each key must be written version:base64key');
    const version = Number(m[1]);
    const key = Buffer.from(m[2], 'base64');
    if (key.length !== 32) throw new SecretBoxError(`key version ${version} is not 32 bytes`);
    if (keys.has(version)) throw new SecretBoxError(`key version ${version} appears twice`);
    keys.set(version, key);
  }
  if (keys.size === 0) throw new SecretBoxError('the keyring is empty');
  return { keys, current: Math.max(...keys.keys()) };
}

/** The version a blob was sealed under, or null if it is not a blob. */
export function blobVersion(blob: string): number | null {
  const m = BLOB.exec(blob);
  return m ? Number(m[1]) : null;
}

/**
 * AES-256-GCM under the keyring's newest key: `v<version>.<iv>.<tag>.<ciphertext>` (base64).
 * The AAD binds the ciphertext to its row (tenant and trunk id), so a blob copied into another
 * row fails to decrypt instead of handing that row someone else's secret.
 */
export function encrypt(plaintext: string, ring: Keyring, aad: string): string {
  const key = ring.keys.get(ring.current) as Buffer;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `v${ring.current}.${iv.toString('base64')}.${cipher.getAuthTag().toString('base64')}.${ct.toString('base64')}`;
}

/** Throws SecretBoxError on a malformed blob, an unknown key version, tampering or the wrong AAD. */
export function decrypt(blob: string, ring: Keyring, aad: string): string {
  const m = BLOB.exec(blob);
  if (!m) throw new SecretBoxError('not a sealed secret');
  const version = Number(m[1]);
  const key = ring.keys.get(version);
  if (!key) throw new SecretBoxError(`no key of version ${version} in the keyring`);
  const iv = Buffer.from(m[2], 'base64');
  const tag = Buffer.from(m[3], 'base64');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SecretBoxError('not a sealed secret');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(m[4], 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretBoxError('the secret failed authentication');
  }
}

/** Re-encrypts under the newest key; returns null when the blob already uses it (idempotent rewrap). */
export function rewrap(blob: string, ring: Keyring, aad: string): string | null {
  if (blobVersion(blob) === ring.current) return null;
  return encrypt(decrypt(blob, ring, aad), ring, aad);
}

/** The AAD of a trunk's outbound auth secret. */
export function trunkSecretAad(tenantId: string, trunkId: string): string {
  return `trunk:${tenantId}:${trunkId}`;
}
