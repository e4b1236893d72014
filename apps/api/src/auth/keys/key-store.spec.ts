import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIfMissing, runKeysCommand } from '../../cli/keys';
import { createKey, isPublished, loadKeys, pruneKeys, rotateKeys } from './key-store';

const TTL = 3600;
const GRACE_MS = (TTL + 300) * 1000;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'];

describe('key store and keys CLI', () => {
  let dir: string;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'pbx-keystore-')), 'keys');
  });
  afterEach(() => rm(join(dir, '..'), { recursive: true, force: true }));

  it('generate creates one key in a 0700 directory with a 0600 file, and is idempotent', async () => {
    const first = await generateIfMissing(dir);
    const second = await generateIfMissing(dir);
    expect(first.created).toBe(true);
    expect(second).toEqual({ kid: first.kid, created: false });
    const files = await readdir(dir);
    expect(files).toEqual([`${first.kid}.key.json`]);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, files[0]))).mode & 0o777).toBe(0o600);
  });

  it('rotate makes a new active key and keeps the old one published as retired', async () => {
    const t0 = new Date('2026-01-01T00:00:00Z');
    const old = await createKey(dir, t0);
    const t1 = new Date(t0.getTime() + 10_000);
    const { newKid, retired } = await rotateKeys(dir, t1);
    expect(retired).toEqual([old]);
    const keys = await loadKeys(dir);
    expect(keys.map((k) => k.kid)).toEqual([old, newKid]);
    const [oldKey, newKey] = keys;
    expect(oldKey.retiredAt?.toISOString()).toBe(t1.toISOString());
    expect(newKey.retiredAt).toBeNull();
    // Tokens signed by the old key live up to the access TTL; it stays published that long (+ grace).
    expect(isPublished(oldKey, TTL, t1.getTime() + TTL * 1000)).toBe(true);
    expect(isPublished(oldKey, TTL, t1.getTime() + GRACE_MS + 1)).toBe(false);
    for (const k of keys) for (const m of PRIVATE_MEMBERS) expect(k.publicJwk).not.toHaveProperty(m);
  });

  it('generate after a rotation keeps the newest active key', async () => {
    await createKey(dir);
    const { newKid } = await rotateKeys(dir);
    expect(await generateIfMissing(dir)).toEqual({ kid: newKid, created: false });
  });

  it('prune removes only retired keys whose tokens have all expired', async () => {
    const t0 = new Date('2026-01-01T00:00:00Z');
    const oldest = await createKey(dir, t0);
    const { newKid: middle } = await rotateKeys(dir, new Date(t0.getTime() + 1000));
    const t1 = new Date(t0.getTime() + GRACE_MS - 60_000);
    const { newKid: current } = await rotateKeys(dir, t1);

    expect(await pruneKeys(dir, TTL, new Date(t0.getTime() + 1000 + GRACE_MS - 1))).toEqual([]);
    // `oldest` was retired more than TTL + grace ago; `middle` only a minute ago; `current` is active.
    expect(await pruneKeys(dir, TTL, new Date(t0.getTime() + 1000 + GRACE_MS + 1))).toEqual([oldest]);
    expect((await loadKeys(dir)).map((k) => k.kid)).toEqual([middle, current]);
  });

  it('never prunes the active key, however old', async () => {
    const kid = await createKey(dir, new Date('2000-01-01T00:00:00Z'));
    expect(await pruneKeys(dir, TTL)).toEqual([]);
    expect((await loadKeys(dir)).map((k) => k.kid)).toEqual([kid]);
  });

  it('the CLI prints kids and never key material', async () => {
    const out = [
      ...(await runKeysCommand('generate', { JWT_KEYS_DIR: dir, JWT_ACCESS_TTL_SECONDS: TTL })).lines,
      ...(await runKeysCommand('rotate', { JWT_KEYS_DIR: dir, JWT_ACCESS_TTL_SECONDS: TTL })).lines,
      ...(await runKeysCommand('prune', { JWT_KEYS_DIR: dir, JWT_ACCESS_TTL_SECONDS: TTL })).lines,
    ].join('\n');
    const kids = (await loadKeys(dir)).map((k) => k.kid);
    for (const kid of kids) expect(out).toContain(kid);
    expect(out).not.toMatch(/PRIVATE KEY|privateKeyPem|"d":/);
    await expect(runKeysCommand('delete-all', { JWT_KEYS_DIR: dir, JWT_ACCESS_TTL_SECONDS: TTL })).rejects.toThrow(/unknown command/);
  });
});
