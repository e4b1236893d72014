import { ConfigError, loadConfig, z } from '@pbx/config';
import { Keyring, parseKeyring, rewrap, trunkSecretAad } from '@pbx/common';
import { createDataSource, TrunksRepository } from '@pbx/database';

/**
 * `npm run secrets:rewrap`: re-encrypts every trunk secret under the newest key of SECRETS_KEKS,
 * so an old key can then be dropped from the list. Idempotent: rows already under the newest
 * key are not touched, and a run can be repeated or interrupted at any point. Prints counts and
 * trunk ids, never secrets.
 */
const rewrapConfigSchema = z.object({
  DATABASE_URL: z.string().min(1),
  SECRETS_KEKS: z.string().refine((v) => {
    try {
      parseKeyring(v);
      return true;
    } catch {
      return false;
    }
  }, 'must be comma-separated version:base64 pairs of 32-byte keys'),
});

export type RewrapConfig = z.infer<typeof rewrapConfigSchema>;

export interface RewrapResult {
  currentVersion: number;
  rewrapped: number;
  /** Changed through the API while we worked (already under the newest key, since the API seals with it). */
  changedMeanwhile: number;
  /** Could not be opened: unknown key version, wrong key or tampering. Left as they are. */
  failed: string[];
}

export async function rewrapSecrets(
  trunks: TrunksRepository,
  ring: Keyring,
  batchSize = 100,
): Promise<RewrapResult> {
  const result: RewrapResult = {
    currentVersion: ring.current,
    rewrapped: 0,
    changedMeanwhile: 0,
    failed: [],
  };
  let afterId: string | undefined;
  for (;;) {
    const batch = await trunks.findSecretsNotUnder(ring.current, batchSize, afterId);
    if (batch.length === 0) return result;
    for (const row of batch) {
      let next: string | null;
      try {
        next = rewrap(row.ciphertext, ring, trunkSecretAad(row.tenantId, row.id));
      } catch {
        result.failed.push(row.id);
        continue;
      }
      if (next === null) continue;
      const swapped = await trunks.replaceSecret(row.id, row.ciphertext, {
        ciphertext: next,
        keyVersion: ring.current,
      });
      if (swapped) result.rewrapped++;
      else result.changedMeanwhile++;
    }
    afterId = batch[batch.length - 1].id;
  }
}

export async function runRewrap(config: RewrapConfig): Promise<RewrapResult> {
  const ring = parseKeyring(config.SECRETS_KEKS);
  const ds = await createDataSource({
    url: config.DATABASE_URL,
    poolSize: 2,
    applicationName: 'pbx-rewrap',
  }).initialize();
  try {
    return await rewrapSecrets(new TrunksRepository(ds), ring);
  } finally {
    await ds.destroy();
  }
}

async function main(): Promise<void> {
  const r = await runRewrap(loadConfig(rewrapConfigSchema));
  console.log(`newest key version ${r.currentVersion}: rewrapped ${r.rewrapped} trunk secret(s)`);
  if (r.changedMeanwhile)
    console.log(`${r.changedMeanwhile} secret(s) changed meanwhile and were left as the API wrote them`);
  if (r.failed.length) {
    console.error(
      `could not decrypt ${r.failed.length} secret(s) (key version missing from SECRETS_KEKS, wrong key, or tampered); left unchanged: ${r.failed.join(', ')}`,
    );
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) console.error(err.message);
    else console.error('secrets:rewrap failed:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
