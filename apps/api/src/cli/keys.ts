import { ConfigError, env, loadConfig, z } from '@pbx/config';
import { createKey, loadKeys, pruneKeys, rotateKeys } from '../auth/keys/key-store';

/**
 * JWT signing-key maintenance: `generate` (only when there is no active key, so it is safe to
 * run on every deploy), `rotate` and `prune`. Prints key ids only, never key material.
 */
export const keysConfigSchema = z.object({
  JWT_KEYS_DIR: z.string().min(1),
  JWT_ACCESS_TTL_SECONDS: env.int(3600, 60, 86_400),
});

export type KeysConfig = z.infer<typeof keysConfigSchema>;

export interface KeysCommandResult {
  /** Human-readable summary, one line per fact; contains kids, never key material. */
  lines: string[];
}

/** Creates a signing key unless one is already active. Idempotent. */
export async function generateIfMissing(dir: string, now = new Date()): Promise<{ kid: string; created: boolean }> {
  const active = (await loadKeys(dir)).filter((k) => !k.retiredAt).at(-1);
  if (active) return { kid: active.kid, created: false };
  return { kid: await createKey(dir, now), created: true };
}

export async function runKeysCommand(command: string, config: KeysConfig): Promise<KeysCommandResult> {
  switch (command) {
    case 'generate': {
      const { kid, created } = await generateIfMissing(config.JWT_KEYS_DIR);
      return { lines: [created ? `created signing key ${kid}` : `active signing key ${kid} already present; nothing to do`] };
    }
    case 'rotate': {
      const { newKid, retired } = await rotateKeys(config.JWT_KEYS_DIR);
      return {
        lines: [
          `new signing key ${newKid}`,
          ...retired.map((kid) => `retired ${kid} (still published until its tokens expire; then run keys:prune)`),
        ],
      };
    }
    case 'prune': {
      const removed = await pruneKeys(config.JWT_KEYS_DIR, config.JWT_ACCESS_TTL_SECONDS);
      return { lines: removed.length ? removed.map((kid) => `removed expired key ${kid}`) : ['no expired retired keys to remove'] };
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

class UsageError extends Error {}

async function main(): Promise<void> {
  const command = process.argv[2] ?? '';
  const config = loadConfig(keysConfigSchema);
  const { lines } = await runKeysCommand(command, config);
  for (const line of lines) console.log(line);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    if (err instanceof UsageError) console.error(`${err.message}\nusage: keys.js generate|rotate|prune`);
    else if (err instanceof ConfigError) console.error(err.message);
    else console.error('keys command failed:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
