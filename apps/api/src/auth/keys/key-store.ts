import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, importJWK, importPKCS8, JWK, KeyLike } from 'jose';
import { chmod, mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const JWT_ALG = 'RS256';

/** One signing key as stored on disk: `<kid>.key.json`, mode 0600, in JWT_KEYS_DIR. */
interface StoredKey {
  kid: string;
  alg: typeof JWT_ALG;
  createdAt: string;
  retiredAt: string | null;
  privateKeyPem: string;
}

export interface LoadedKey {
  kid: string;
  createdAt: Date;
  retiredAt: Date | null;
  privateKey: KeyLike;
  publicJwk: JWK;
  publicKey: KeyLike;
}

const SUFFIX = '.key.json';

async function writeAtomically(path: string, content: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

async function readStored(dir: string): Promise<StoredKey[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const keys = await Promise.all(
    names.filter((n) => n.endsWith(SUFFIX)).map(async (n) => JSON.parse(await readFile(join(dir, n), 'utf8')) as StoredKey),
  );
  return keys.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

async function load(stored: StoredKey): Promise<LoadedKey> {
  const privateKey = await importPKCS8(stored.privateKeyPem, JWT_ALG, { extractable: true });
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = await exportJWK(privateKey);
  const publicJwk: JWK = { ...pub, kid: stored.kid, alg: JWT_ALG, use: 'sig' };
  const publicKey = (await importJWK(publicJwk, JWT_ALG)) as KeyLike;
  return {
    kid: stored.kid,
    createdAt: new Date(stored.createdAt),
    retiredAt: stored.retiredAt ? new Date(stored.retiredAt) : null,
    privateKey,
    publicJwk,
    publicKey,
  };
}

export async function loadKeys(dir: string): Promise<LoadedKey[]> {
  return Promise.all((await readStored(dir)).map(load));
}

/** Creates a new RSA-2048 key; the kid is its RFC 7638 thumbprint. */
export async function createKey(dir: string, now = new Date()): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = await generateKeyPair(JWT_ALG, { modulusLength: 2048, extractable: true });
  const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
  const stored: StoredKey = {
    kid,
    alg: JWT_ALG,
    createdAt: now.toISOString(),
    retiredAt: null,
    privateKeyPem: await exportPKCS8(privateKey),
  };
  await writeAtomically(join(dir, `${kid}${SUFFIX}`), JSON.stringify(stored, null, 2));
  return kid;
}

/**
 * Rotation: a new key signs from now on; older keys are retired but stay published so tokens
 * they signed keep verifying until those tokens expire (then `prune` removes them).
 */
export async function rotateKeys(dir: string, now = new Date()): Promise<{ newKid: string; retired: string[] }> {
  const existing = await readStored(dir);
  const newKid = await createKey(dir, now);
  const retired: string[] = [];
  for (const k of existing) {
    if (k.retiredAt) continue;
    k.retiredAt = now.toISOString();
    retired.push(k.kid);
    await writeAtomically(join(dir, `${k.kid}${SUFFIX}`), JSON.stringify(k, null, 2));
  }
  return { newKid, retired };
}

/** Deletes retired keys that can no longer have a live token (retired longer ago than the access TTL). */
export async function pruneKeys(dir: string, accessTtlSeconds: number, now = new Date()): Promise<string[]> {
  const removed: string[] = [];
  for (const k of await readStored(dir)) {
    if (k.retiredAt && now.getTime() - new Date(k.retiredAt).getTime() > (accessTtlSeconds + 300) * 1000) {
      await unlink(join(dir, `${k.kid}${SUFFIX}`));
      removed.push(k.kid);
    }
  }
  return removed;
}

export function isPublished(k: LoadedKey, accessTtlSeconds: number, now = Date.now()): boolean {
  return !k.retiredAt || now - k.retiredAt.getTime() <= (accessTtlSeconds + 300) * 1000;
}
