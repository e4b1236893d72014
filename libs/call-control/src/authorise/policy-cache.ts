import { compilePolicy, type CompiledPolicy } from '@pbx/policy';
import type { LoadedPolicy, TenantPolicyContext } from '@pbx/database';

export interface CachedPolicy {
  compiled: CompiledPolicy;
  tenant: TenantPolicyContext;
}

export interface PolicySource {
  load(tenantId: string): Promise<LoadedPolicy>;
}

export interface PolicyCacheOptions {
  /** Backstop for a lost invalidation message (pub/sub keeps nothing). Default 30 s. */
  ttlMs?: number;
  now?: () => number;
}

interface Entry {
  policy: Promise<CachedPolicy>;
  expiresAt: number;
}

/**
 * Compiled policies per tenant, in process. Entries are dropped by invalidation messages
 * (`drop`) and expire after a short TTL. Concurrent misses share one load; a load that started
 * before a drop is not cached, so a change is never hidden by a read that raced it.
 */
export class PolicyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly generations = new Map<string, number>();
  private globalGeneration = 0;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly source: PolicySource,
    options: PolicyCacheOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  get(tenantId: string): Promise<CachedPolicy> {
    const hit = this.entries.get(tenantId);
    if (hit && hit.expiresAt > this.now()) return hit.policy;
    const generation = this.generationOf(tenantId);
    const policy = this.source.load(tenantId).then(
      ({ data, tenant }): CachedPolicy => ({ compiled: compilePolicy(data), tenant }),
    );
    const entry: Entry = { policy, expiresAt: this.now() + this.ttlMs };
    this.entries.set(tenantId, entry);
    policy.then(
      () => {
        if (this.generationOf(tenantId) !== generation && this.entries.get(tenantId) === entry) {
          this.entries.delete(tenantId);
        }
      },
      () => {
        if (this.entries.get(tenantId) === entry) this.entries.delete(tenantId);
      },
    );
    return policy;
  }

  /** Forgets one tenant's policy, or every tenant's with null. */
  drop(tenantId: string | null): void {
    if (tenantId === null) {
      this.globalGeneration++;
      this.entries.clear();
      return;
    }
    this.generations.set(tenantId, (this.generations.get(tenantId) ?? 0) + 1);
    this.entries.delete(tenantId);
  }

  get size(): number {
    return this.entries.size;
  }

  private generationOf(tenantId: string): string {
    return `${this.globalGeneration}:${this.generations.get(tenantId) ?? 0}`;
  }
}
