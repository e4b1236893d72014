import { TtlCache } from './ttl-cache';

describe('TtlCache', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => (now = 1_000));

  it('forgets an entry once its TTL has passed', () => {
    const cache = new TtlCache<string>(10, clock);
    cache.set('a', 'x', 500);
    now += 499;
    expect(cache.get('a')).toBe('x');
    now += 1;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('does not store a zero TTL', () => {
    const cache = new TtlCache<string>(10, clock);
    cache.set('a', 'x', 0);
    expect(cache.get('a')).toBeUndefined();
  });

  it('evicts the least recently used entry past its bound', () => {
    const cache = new TtlCache<number>(2, clock);
    cache.set('a', 1, 1000);
    cache.set('b', 2, 1000);
    expect(cache.get('a')).toBe(1); // a is now more recent than b
    cache.set('c', 3, 1000);
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
  });

  it('never grows past its bound however many keys arrive', () => {
    const cache = new TtlCache<number>(100, clock);
    for (let i = 0; i < 10_000; i++) cache.set(`k${i}`, i, 60_000);
    expect(cache.size).toBe(100);
    expect(cache.get('k9999')).toBe(9999);
    expect(cache.get('k0')).toBeUndefined();
  });
});
