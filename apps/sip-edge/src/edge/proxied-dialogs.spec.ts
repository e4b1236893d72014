import { ProxiedDialogs, type PartyTarget } from './proxied-dialogs';

/** Requests to `a` go to a.example:5060, requests to `b` to b.example:5060 (both straight to the Contact). */
const targets = (viaRouteToB = false) =>
  new Map<string, PartyTarget>([
    ['a', { hostPort: 'a.example:5060', viaRoute: false }],
    ['b', { hostPort: 'b.example:5060', viaRoute: viaRouteToB }],
  ]);

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

  it('matches a dialog by Call-ID and both tags, in either direction, only toward the addressed party’s target', () => {
    d.established('c1', 'a', 'b', true, targets());
    expect(d.touch('c1', 'a', 'b', 'b.example:5060')).toBe(true);
    expect(d.touch('c1', 'b', 'a', 'A.example:5060')).toBe(true);
    expect(d.touch('c1', 'a', 'b', 'a.example:5060')).toBe(false);
    expect(d.touch('c1', 'a', 'b', 'victim.example:5060')).toBe(false);
    expect(d.touch('c1', 'a', 'mallory', 'b.example:5060')).toBe(false);
    expect(d.touch('c2', 'a', 'b', 'b.example:5060')).toBe(false);
    expect(d.touch('c1', 'a', '', 'b.example:5060')).toBe(false);
  });

  it('follows a party’s target refresh, unless a proxy beyond us routes its side', () => {
    d.established('c1', 'a', 'b', true, targets(true));
    d.refreshTarget('c1', 'a', 'b', 'a2.example:5070');
    d.refreshTarget('c1', 'b', 'a', 'b2.example:5070');
    expect(d.touch('c1', 'b', 'a', 'a2.example:5070')).toBe(true);
    expect(d.touch('c1', 'b', 'a', 'a.example:5060')).toBe(false);
    expect(d.touch('c1', 'a', 'b', 'b.example:5060')).toBe(true);
    expect(d.touch('c1', 'a', 'b', 'b2.example:5070')).toBe(false);
  });

  it('an early dialog goes with a failure response or when idle; a confirmed one stays until its idle limit', () => {
    d.established('e1', 'a', 'b', false, targets());
    d.failed('e1', 'a', 'b');
    expect(d.touch('e1', 'a', 'b', 'b.example:5060')).toBe(false);
    d.established('e2', 'a', 'b', false, targets());
    d.established('c1', 'a', 'b', true, targets());
    d.failed('c1', 'a', 'b');
    now = 1_000;
    d.sweep();
    expect(d.touch('e2', 'a', 'b', 'b.example:5060')).toBe(false);
    expect(d.touch('c1', 'a', 'b', 'b.example:5060')).toBe(true);
    now = 10_999;
    d.sweep();
    expect(d.touch('c1', 'a', 'b', 'b.example:5060')).toBe(true);
    now = 21_000;
    d.sweep();
    expect(d.size).toBe(0);
  });

  it('after a BYE it lingers for retransmissions, and traffic does not keep it alive', () => {
    d.established('c1', 'a', 'b', true, targets());
    d.ending('c1', 'a', 'b');
    now = 400;
    expect(d.touch('c1', 'a', 'b', 'b.example:5060')).toBe(true);
    now = 500;
    d.sweep();
    expect(d.touch('c1', 'a', 'b', 'b.example:5060')).toBe(false);
  });

  it('is bounded: past maxEntries the least recently used entry is evicted', () => {
    d.close();
    d = make(2);
    d.established('c1', 'a', 'b', true, targets());
    d.established('c2', 'a', 'b', true, targets());
    expect(d.touch('c1', 'a', 'b', 'b.example:5060')).toBe(true);
    d.established('c3', 'a', 'b', true, targets());
    expect(d.size).toBe(2);
    expect(d.touch('c2', 'a', 'b', 'b.example:5060')).toBe(false);
    expect(d.touch('c1', 'a', 'b', 'b.example:5060')).toBe(true);
    expect(d.touch('c3', 'a', 'b', 'b.example:5060')).toBe(true);
  });
});
