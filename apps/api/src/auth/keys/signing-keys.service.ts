import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { JWK, KeyLike } from 'jose';
import { API_CONFIG, ApiConfig } from '../../config/api-config';
import { isPublished, LoadedKey, loadKeys } from './key-store';

const RELOAD_INTERVAL_MS = 60_000;
const MIN_RELOAD_GAP_MS = 1_000;

/**
 * The keys this API instance signs and verifies with. Keys live on disk (JWT_KEYS_DIR), so several
 * instances share them; a key unknown here triggers a reload, so a token signed by an instance that
 * has already picked up a rotation still verifies here.
 */
@Injectable()
export class SigningKeysService implements OnModuleInit {
  private keys = new Map<string, LoadedKey>();
  private signing: LoadedKey | null = null;
  private lastLoad = 0;
  private loading: Promise<void> | null = null;

  constructor(@Inject(API_CONFIG) private readonly config: ApiConfig) {}

  async onModuleInit(): Promise<void> {
    await this.reload();
    if (!this.signing) {
      throw new Error(`No active JWT signing key in JWT_KEYS_DIR: run \`npm run keys:generate\` first`);
    }
  }

  /** Re-reads JWT_KEYS_DIR now (also runs every minute and on an unknown kid); concurrent calls share one read. */
  reload(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const all = await loadKeys(this.config.JWT_KEYS_DIR);
        const published = all.filter((k) => isPublished(k, this.config.JWT_ACCESS_TTL_SECONDS));
        this.keys = new Map(published.map((k) => [k.kid, k]));
        this.signing = published.filter((k) => !k.retiredAt).at(-1) ?? this.signing;
        this.lastLoad = Date.now();
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  currentSigningKey(): LoadedKey {
    if (Date.now() - this.lastLoad > RELOAD_INTERVAL_MS) void this.reload().catch(() => undefined);
    if (!this.signing) throw new Error('no signing key loaded');
    return this.signing;
  }

  async verificationKey(kid: string): Promise<KeyLike | null> {
    let key = this.keys.get(kid);
    if (!key && Date.now() - this.lastLoad > MIN_RELOAD_GAP_MS) {
      await this.reload();
      key = this.keys.get(kid);
    }
    return key?.publicKey ?? null;
  }

  jwks(): { keys: JWK[] } {
    return { keys: [...this.keys.values()].map((k) => k.publicJwk) };
  }
}
