import { parseAllowList, SourceRateGuard, type SourceRateGuardOptions } from './source-rate-guard';

const FLOODER = '198.51.100.7';

function guard(opts: Partial<SourceRateGuardOptions> = {}) {
  const starts: Array<{ ip: string; count: number; at: number }> = [];
  const ends: Array<{ ip: string; at: number }> = [];
  const g = new SourceRateGuard({
    density: 10,
    unitMs: 1000,
    releaseAfterMs: 3000,
    onFloodStart: (ip, count, at) => starts.push({ ip, count, at }),
    onFloodEnd: (ip, at) => ends.push({ ip, at }),
    ...opts,
  });
  return { g, starts, ends };
}

/** Sends `n` requests from `ip` spread evenly over [from, from + spanMs); returns how many were dropped. */
function send(g: SourceRateGuard, ip: string, n: number, from: number, spanMs = 0): number {
  let dropped = 0;
  for (let i = 0; i < n; i++) if (g.check(ip, from + Math.floor((i * spanMs) / n))) dropped++;
  return dropped;
}

describe('SourceRateGuard', () => {
  it('lets a source through up to the density per unit and blocks the request that exceeds it, reporting once', () => {
    const { g, starts } = guard();
    expect(send(g, FLOODER, 10, 0)).toBe(0);
    expect(g.check(FLOODER, 1)).toBe(true);
    expect(send(g, FLOODER, 50, 2)).toBe(50);
    expect(starts).toEqual([{ ip: FLOODER, count: 11, at: 1 }]);
    expect(g.isFlooding(FLOODER)).toBe(true);
    expect(g.flooding).toBe(1);
  });

  it('never blocks a source that stays under the density, unit after unit', () => {
    const { g, starts } = guard();
    for (let unit = 0; unit < 20; unit++) expect(send(g, FLOODER, 8, unit * 1000, 1000)).toBe(0);
    expect(starts).toEqual([]);
  });

  it('counts over a sliding unit, so a burst straddling two units is still caught', () => {
    const { g, starts } = guard();
    expect(send(g, FLOODER, 8, 0)).toBe(0);
    // 100 ms into the next unit, 90% of the previous unit still counts: 7.2 + 3 > 10.
    expect(send(g, FLOODER, 4, 1100)).toBe(2);
    expect(starts).toHaveLength(1);
  });

  it('keeps a source that goes on sending blocked, and releases it once it has been calm for releaseAfterMs', () => {
    const { g, ends } = guard();
    send(g, FLOODER, 30, 0);
    // Still flooding 5 s later: the blocked requests count too.
    for (let t = 1000; t < 6000; t += 1000) expect(send(g, FLOODER, 30, t, 1000)).toBe(30);
    // Calm from 7 s (the previous unit has decayed): blocked until it has been calm for 3 s.
    expect(g.check(FLOODER, 7000)).toBe(true);
    expect(g.check(FLOODER, 8500)).toBe(true);
    expect(ends).toEqual([]);
    expect(g.check(FLOODER, 10_000)).toBe(false);
    expect(ends).toEqual([{ ip: FLOODER, at: 10_000 }]);
    expect(g.flooding).toBe(0);
  });

  it('sweep releases a flooder that went silent and forgets idle sources', () => {
    const { g, ends } = guard({ forgetAfterMs: 5000 });
    send(g, FLOODER, 30, 0);
    send(g, '198.51.100.8', 3, 0);
    expect(g.tracked).toBe(2);
    g.sweep(2000);
    expect(g.isFlooding(FLOODER)).toBe(true);
    g.sweep(4999);
    expect(ends).toEqual([]);
    g.sweep(5000);
    expect(ends).toEqual([{ ip: FLOODER, at: 5000 }]);
    expect(g.tracked).toBe(1);
    expect(g.isFlooding(FLOODER)).toBe(false);
    g.sweep(10_000);
    expect(g.tracked).toBe(0);
  });

  it("never limits the stack's own addresses or the configured allow list", () => {
    const { g, starts } = guard({ allow: ['203.0.113.0/24', '2001:db8::/32'] });
    for (const ip of ['127.0.0.1', '::1', '203.0.113.77', '2001:db8::5'])
      expect(send(g, ip, 1000, 0)).toBe(0);
    expect(starts).toEqual([]);
    // Other loopback addresses are not the stack's own: tests use them to play attackers.
    expect(send(g, '127.0.0.77', 1000, 0)).toBe(990);
    expect(send(g, '2001:db9::5', 1000, 0)).toBe(990);
  });

  it('tracks at most maxSources, forgetting other sources before flooding ones', () => {
    const { g } = guard({ maxSources: 3 });
    send(g, FLOODER, 30, 0);
    send(g, '198.51.100.1', 1, 1);
    send(g, '198.51.100.2', 1, 2);
    for (let i = 10; i < 200; i++) send(g, `198.51.100.${i}`, 1, i);
    expect(g.tracked).toBe(3);
    expect(g.isFlooding(FLOODER)).toBe(true);
    expect(g.check(FLOODER, 300)).toBe(true);
  });

  it('stays bounded even when every tracked source is flooding', () => {
    const { g } = guard({ maxSources: 32 });
    for (let i = 0; i < 100; i++) expect(send(g, `198.51.100.${i}`, 30, i)).toBe(20);
    expect(g.tracked).toBeLessThanOrEqual(32);
    expect(g.flooding).toBe(g.tracked);
  });

  it('rejects a bad density or allow-list entry, naming the entry', () => {
    expect(() => new SourceRateGuard({ density: 0 })).toThrow(/density/);
    expect(() => new SourceRateGuard({ density: 1.5 })).toThrow(/density/);
    expect(() => parseAllowList(['10.0.0.0/8', 'office.example'])).toThrow(/office\.example/);
    expect(parseAllowList(['10.0.0.0/8', '192.0.2.1'])).toHaveLength(2);
  });
});
