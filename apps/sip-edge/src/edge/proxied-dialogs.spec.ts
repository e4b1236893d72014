import { ProxiedDialogs } from './proxied-dialogs';

describe('ProxiedDialogs', () => {
  let now = 0;
  let d: ProxiedDialogs;
  const make = (maxEntries = 100) =>
    new ProxiedDialogs({ earlyIdleMs: 1_000, confirmedIdleMs: 10_000, lingerMs: 500, maxEntries }, () => now, 60_000);

  beforeEach(() => {
    now = 0;
    d = make();
  });
  afterEach(() => d.close());

  it('matches a dialog by Call-ID and its two tags in either direction, and nothing else', () => {
    d.established('c1', 'alice', 'bob', true);
    expect(d.touch('c1', 'alice', 'bob')).toBe(true);
    expect(d.touch('c1', 'bob', 'alice')).toBe(true);
    expect(d.touch('c1', 'alice', 'mallory')).toBe(false);
    expect(d.touch('c2', 'alice', 'bob')).toBe(false);
    expect(d.touch('c1', 'alice', '')).toBe(false);
  });

  it('an early dialog goes with a failure response or when idle; a confirmed one stays until its idle limit', () => {
    d.established('e1', 'a', 'b', false);
    d.failed('e1', 'a', 'b');
    expect(d.touch('e1', 'a', 'b')).toBe(false);
    d.established('e2', 'a', 'b', false);
    d.established('c1', 'a', 'b', true);
    d.failed('c1', 'a', 'b');
    now = 1_000;
    d.sweep();
    expect(d.touch('e2', 'a', 'b')).toBe(false);
    expect(d.touch('c1', 'a', 'b')).toBe(true);
    now = 10_999;
    d.sweep();
    expect(d.touch('c1', 'a', 'b')).toBe(true);
    now = 21_000;
    d.sweep();
    expect(d.size).toBe(0);
  });

  it('after a BYE it lingers for retransmissions, and traffic does not keep it alive', () => {
    d.established('c1', 'a', 'b', true);
    d.ending('c1', 'a', 'b');
    now = 400;
    expect(d.touch('c1', 'a', 'b')).toBe(true);
    now = 500;
    d.sweep();
    expect(d.touch('c1', 'a', 'b')).toBe(false);
  });

  it('is bounded: past maxEntries the least recently used entry is evicted', () => {
    d.close();
    d = make(2);
    d.established('c1', 'a', 'b', true);
    d.established('c2', 'a', 'b', true);
    expect(d.touch('c1', 'a', 'b')).toBe(true);
    d.established('c3', 'a', 'b', true);
    expect(d.size).toBe(2);
    expect(d.touch('c2', 'a', 'b')).toBe(false);
    expect(d.touch('c1', 'a', 'b')).toBe(true);
    expect(d.touch('c3', 'a', 'b')).toBe(true);
  });
});
