import { randomBytes } from 'node:crypto';
import {
  blobVersion,
  decrypt,
  encrypt,
  parseKeyring,
  rewrap,
  SecretBoxError,
  trunkSecretAad,
} from './secret-box';

const k = () => randomBytes(32).toString('base64');
const AAD = trunkSecretAad('tenant-1', 'trunk-1');

describe('secret box', () => {
  const k1 = k();
  const k2 = k();
  const v1 = parseKeyring(`1:${k1}`);
  const v12 = parseKeyring(` 2:${k2} , 1:${k1}`);

  it('parses a keyring and picks the highest version as current', () => {
    expect(v12.current).toBe(2);
    expect([...v12.keys.keys()].sort()).toEqual([1, 2]);
    expect(() => parseKeyring('')).toThrow(SecretBoxError);
    expect(() => parseKeyring(`1:${randomBytes(16).toString('base64')}`)).toThrow(/32 bytes/);
    expect(() => parseKeyring(`1:${k1},1:${k2}`)).toThrow(/twice/);
    expect(() => parseKeyring(`x:${k1}`)).toThrow(SecretBoxError);
  });

  it('round-trips, with a fresh IV each time and no plaintext in the blob', () => {
    const a = encrypt('s3cret-pässword', v12, AAD);
    const b = encrypt('s3cret-pässword', v12, AAD);
    expect(a).toMatch(/^v2\.[^.]+\.[^.]+\.[^.]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('s3cret');
    expect(blobVersion(a)).toBe(2);
    expect(decrypt(a, v12, AAD)).toBe('s3cret-pässword');
    expect(decrypt(encrypt('', v12, AAD), v12, AAD)).toBe('');
  });

  it('throws on tampering with the ciphertext, the tag or the IV', () => {
    const blob = encrypt('secret', v12, AAD);
    const [v, iv, tag, ct] = blob.split('.');
    const flip = (s: string) => {
      const buf = Buffer.from(s, 'base64');
      buf[0] ^= 1;
      return buf.toString('base64');
    };
    expect(() => decrypt([v, iv, tag, flip(ct)].join('.'), v12, AAD)).toThrow(SecretBoxError);
    expect(() => decrypt([v, iv, flip(tag), ct].join('.'), v12, AAD)).toThrow(SecretBoxError);
    expect(() => decrypt([v, flip(iv), tag, ct].join('.'), v12, AAD)).toThrow(SecretBoxError);
    expect(() => decrypt('garbage', v12, AAD)).toThrow(SecretBoxError);
  });

  it('throws with the wrong AAD: a blob cannot be moved to another row', () => {
    const blob = encrypt('secret', v12, AAD);
    expect(() => decrypt(blob, v12, trunkSecretAad('tenant-1', 'trunk-2'))).toThrow(SecretBoxError);
    expect(() => decrypt(blob, v12, trunkSecretAad('tenant-2', 'trunk-1'))).toThrow(SecretBoxError);
  });

  it('decrypts blobs of an older version, and refuses an unknown version', () => {
    const old = encrypt('secret', v1, AAD);
    expect(blobVersion(old)).toBe(1);
    expect(decrypt(old, v12, AAD)).toBe('secret');
    expect(() => decrypt(old, parseKeyring(`2:${k2}`), AAD)).toThrow(/no key of version 1/);
    // Same version number, different key material: authentication fails rather than yielding garbage.
    expect(() => decrypt(old, parseKeyring(`1:${k2}`), AAD)).toThrow(SecretBoxError);
  });

  it('rewraps under the newest key, and leaves current blobs alone', () => {
    const old = encrypt('secret', v1, AAD);
    const fresh = rewrap(old, v12, AAD) as string;
    expect(blobVersion(fresh)).toBe(2);
    expect(decrypt(fresh, v12, AAD)).toBe('secret');
    expect(rewrap(fresh, v12, AAD)).toBeNull();
  });
});
