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

  it('keeps a load across a drop that does not match it, and reloads one that a drop matched', async () => {
    const cache = new TtlCache<string>(60_000, 10);
    const releases: Array<(v: string) => void> = [];
    const slow = () => new Promise<string>((r) => releases.push(r));
    const other = cache.get('t2:a', slow);
    const mine = cache.get('t1:a', slow);
    cache.drop('t1:');
    // A get after the drop does not share the load that may predate the change.
    const after = cache.get('t1:a', slow);
    releases.forEach((release, i) => release(`v${i}`));
    expect(await Promise.all([other, mine, after])).toEqual(['v0', 'v1', 'v2']);
    let loads = 0;
    expect(await cache.get('t2:a', async () => String(++loads))).toBe('v0');
    expect(await cache.get('t1:a', async () => String(++loads))).toBe('v2');
    expect(loads).toBe(0);
  });

  it('drops entries by value, and every load in flight', async () => {
    const cache = new TtlCache<string | null>(60_000, 10);
    await cache.get('a.example', async () => 't1');
    await cache.get('b.example', async () => 't2');
    await cache.get('c.example', async () => null);
    let release!: (v: string) => void;
    const pending = cache.get('d.example', () => new Promise<string>((r) => (release = r)));
    cache.dropWhere((id) => id === 't1' || id === null);
    release('t3');
    expect(await pending).toBe('t3');
    let loads = 0;
    for (const k of ['a.example', 'b.example', 'c.example', 'd.example']) await cache.get(k, async () => String(++loads));
    expect(loads).toBe(3);
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
