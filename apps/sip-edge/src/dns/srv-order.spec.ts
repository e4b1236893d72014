import type { NaptrRecord, SrvRecord } from 'node:dns';
import { orderNaptr, orderSrv } from './srv-order';

const srv = (name: string, priority: number, weight: number): SrvRecord => ({ name, port: 5060, priority, weight });

/** A random source that returns the given values in turn. */
const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length];
};

describe('orderSrv (RFC 2782)', () => {
  it('tries lower priorities first, whatever the weights', () => {
    const ordered = orderSrv([srv('backup', 20, 100), srv('main', 10, 0), srv('other', 30, 100)], () => 0.99);
    expect(ordered.map((r) => r.name)).toEqual(['main', 'backup', 'other']);
  });

  it('picks within a priority by running weight sum', () => {
    const records = [srv('light', 10, 10), srv('heavy', 10, 90)];
    // pick = floor(r · 101): 5 lands in light's [0, 10], 50 in heavy's (10, 100]
    expect(orderSrv(records, sequence(0.05, 0)).map((r) => r.name)).toEqual(['light', 'heavy']);
    expect(orderSrv(records, sequence(0.5, 0)).map((r) => r.name)).toEqual(['heavy', 'light']);
  });

  it('gives zero-weight records a chance only at the very bottom of the range', () => {
    const records = [srv('weighted', 1, 50), srv('zero', 1, 0)];
    expect(orderSrv(records, () => 0).map((r) => r.name)).toEqual(['zero', 'weighted']);
    expect(orderSrv(records, () => 0.5).map((r) => r.name)).toEqual(['weighted', 'zero']);
  });

  it('spreads load in proportion to weight', () => {
    const records = [srv('a', 1, 25), srv('b', 1, 75)];
    let state = 1;
    const lcg = () => (state = (state * 48271) % 2147483647) / 2147483647;
    let firstA = 0;
    for (let i = 0; i < 10_000; i++) if (orderSrv(records, lcg)[0].name === 'a') firstA++;
    expect(firstA / 10_000).toBeGreaterThan(0.22);
    expect(firstA / 10_000).toBeLessThan(0.29);
  });

  it('drops the "no service" target', () => {
    expect(orderSrv([srv('', 0, 0)])).toEqual([]);
  });
});

describe('orderNaptr', () => {
  it('sorts by order, then preference', () => {
    const n = (replacement: string, order: number, preference: number): NaptrRecord => ({
      flags: 's',
      service: 'SIP+D2U',
      regexp: '',
      replacement,
      order,
      preference,
    });
    expect(orderNaptr([n('c', 20, 1), n('b', 10, 50), n('a', 10, 10)]).map((r) => r.replacement)).toEqual(['a', 'b', 'c']);
  });
});
