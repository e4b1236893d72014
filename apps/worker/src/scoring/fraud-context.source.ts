import { PolicyCache, type PolicySource } from '@pbx/call-control';
import { fraudContextFromPolicy, type FraudContext } from '@pbx/fraud';
import type { CompiledPolicy } from '@pbx/policy';

export interface FraudContextSource {
  get(tenantId: string): Promise<FraudContext>;
}

/** Tenant contexts from the same compiled policies the SIP app decides with, cached briefly. */
export class PolicyFraudContextSource implements FraudContextSource {
  private readonly cache: PolicyCache;
  private readonly contexts = new WeakMap<CompiledPolicy, FraudContext>();

  constructor(source: PolicySource, ttlMs = 30_000) {
    this.cache = new PolicyCache(source, { ttlMs });
  }

  async get(tenantId: string): Promise<FraudContext> {
    const { compiled } = await this.cache.get(tenantId);
    let ctx = this.contexts.get(compiled);
    if (!ctx) {
      ctx = fraudContextFromPolicy(compiled);
      this.contexts.set(compiled, ctx);
    }
    return ctx;
  }
}
