import { TtlCache } from './ttl-cache';

describe('TtlCache', () => {
  it('loads once for concurrent misses and serves hits until the TTL', async () => {
    const cache = new TtlCache<number>(1000, 10);
    let loads = 0;
    const load = async () => ++loads;
    const [a, b] = await Promise.all([cache.get('k', load, 0), cache.get('k', load, 0)]);
    expect([a, b, loads]).toEqual([1, 1, 1]);
    expect(await cache.get('k', load, Date.now() + 2000)).toBe(2);
  });

  it('drops by prefix, and does not keep a value loaded across a drop', async () => {
    const cache = new TtlCache<string>(60_000, 10);
    await cache.get('t1:a', async () => 'a');
    await cache.get('t2:b', async () => 'b');
    cache.drop('t1:');
    expect(cache.size).toBe(1);
    let release!: (v: string) => void;
    const pending = cache.get('t2:c', () => new Promise<string>((r) => (release = r)));
    cache.drop();
    release('stale');
    expect(await pending).toBe('stale');
    expect(cache.size).toBe(0);
  });

  it('stays within its bound, evicting the oldest entry', async () => {
    const cache = new TtlCache<number>(60_000, 2);
    for (const k of ['a', 'b', 'c']) await cache.get(k, async () => 1);
    expect(cache.size).toBe(2);
    let reloaded = false;
    await cache.get('a', async () => ((reloaded = true), 1));
    expect(reloaded).toBe(true);
  });
});
