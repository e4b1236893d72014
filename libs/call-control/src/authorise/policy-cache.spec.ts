import type { PolicyData } from '@pbx/policy';
import { PolicyCache } from './policy-cache';
import type { LoadedPolicy } from '@pbx/database';

const TENANT = { id: 't1', defaultCountry: 'GB', timezone: 'UTC', lockLevel: 0, lockReason: null };

function source(lockLevels: number[]) {
  let calls = 0;
  const pending: Array<() => void> = [];
  return {
    get calls() {
      return calls;
    },
    release: () => pending.splice(0).forEach((f) => f()),
    deferred: false,
    load(tenantId: string): Promise<LoadedPolicy> {
      const level = lockLevels[Math.min(calls, lockLevels.length - 1)];
      calls++;
      const data: PolicyData = { tenantId, country: 'GB', timezone: 'UTC', lockLevel: level as PolicyData['lockLevel'] };
      const value = { data, tenant: TENANT };
      if (!this.deferred) return Promise.resolve(value);
      return new Promise((resolve) => pending.push(() => resolve(value)));
    },
  };
}

describe('PolicyCache', () => {
  it('compiles once, shares concurrent misses and serves hits until the TTL runs out', async () => {
    let now = 0;
    const src = source([0, 1]);
    const cache = new PolicyCache(src, { ttlMs: 1000, now: () => now });
    const [a, b] = await Promise.all([cache.get('t1'), cache.get('t1')]);
    expect(a).toBe(b);
    expect(src.calls).toBe(1);
    now = 999;
    expect((await cache.get('t1')).compiled.lockLevel).toBe(0);
    now = 1000;
    expect((await cache.get('t1')).compiled.lockLevel).toBe(1);
    expect(src.calls).toBe(2);
  });

  it('drops one tenant or all of them', async () => {
    const src = source([0, 2, 3]);
    const cache = new PolicyCache(src);
    await cache.get('t1');
    cache.drop('t1');
    expect((await cache.get('t1')).compiled.lockLevel).toBe(2);
    cache.drop(null);
    expect((await cache.get('t1')).compiled.lockLevel).toBe(3);
  });

  it('does not keep a load that raced a drop', async () => {
    const src = source([0, 1]);
    src.deferred = true;
    const cache = new PolicyCache(src);
    const racing = cache.get('t1');
    cache.drop('t1');
    src.release();
    await racing;
    expect(cache.size).toBe(0);
    src.deferred = false;
    expect((await cache.get('t1')).compiled.lockLevel).toBe(1);
  });

  it('does not cache a failed load or compile', async () => {
    const cache = new PolicyCache({
      load: async (tenantId) => ({ data: { tenantId, country: 'nope', timezone: 'UTC', lockLevel: 0 }, tenant: TENANT }),
    });
    await expect(cache.get('t1')).rejects.toThrow('Invalid policy');
    expect(cache.size).toBe(0);
  });
});
