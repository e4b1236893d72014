import { binomialTail } from './destinations';
import { call, DEVICE, kinds, MIN, MONDAY_10, ordinaryWeek, OTHER_DEVICE, score } from '../testing/events';

describe('destinations: first seen, risky share, many distinct numbers', () => {
  const history = score(ordinaryWeek([DEVICE, OTHER_DEVICE]));

  it('fires on the first call to a high-risk country neither the device nor the tenant has called', () => {
    const run = score(call({ at: MONDAY_10, to: '+5327012345', seconds: 600 }), undefined, history);
    const f = run.findings.find((x) => x.kind === 'new-destination');
    expect(f).toMatchObject({ deviceId: DEVICE, severity: 'warning', evidence: { country: 'CU', tier: 'high_risk', lockToStop: 2 } });
  });

  it('fires on a premium range at home (UK 09), which the country alone would not show', () => {
    const run = score(call({ at: MONDAY_10, to: '+449098790123', seconds: 600 }), undefined, history);
    // At home: level 1 (no international) would not stop the next one.
    expect(run.findings.find((x) => x.kind === 'new-destination')?.evidence).toMatchObject({ premiumRange: '+449', lockToStop: 2 });
  });

  it('stays quiet on a new low-risk country, and on a risky country the tenant calls regularly', () => {
    // Another agent's customers in Jamaica: the first call is news (and makes the device a suspect
    // for a day, so it teaches nobody); calls two days later, among domestic ones, teach the tenant.
    const first = call({ at: MONDAY_10 - 4 * 24 * 60 * MIN, device: OTHER_DEVICE, to: '+18769910000' });
    const regular = Array.from({ length: 16 }, (_, i) =>
      call({ at: MONDAY_10 - 2 * 24 * 60 * MIN + i * 10 * MIN, device: OTHER_DEVICE, to: i % 4 ? '+442079460000' : `+187699${String(10000 + i)}` }),
    ).flat();
    const known = score(regular, undefined, score(first, undefined, history));
    const run = score([...call({ at: MONDAY_10, to: '+33142685300' }), ...call({ at: MONDAY_10 + 5 * MIN, to: '+18769912345' })], undefined, known);
    expect(run.findings).toEqual([]);
  });

  it('fires when most calls of the last hour go to risky destinations from a device that never did', () => {
    const drip = [0, 15, 30].flatMap((m, i) => call({ at: MONDAY_10 + m * MIN, to: `+37069${String(100000 + i * 7919)}`, seconds: 600 }));
    expect(kinds(score(drip, undefined, history).findings)).toContain('high-risk-share');
  });

  it('stays quiet on a device whose usual traffic includes risky destinations', () => {
    const habit = Array.from({ length: 30 }, (_, i) =>
      call({ at: MONDAY_10 - 2 * 24 * 60 * MIN + i * 10 * MIN, to: i % 3 === 0 ? `+18769${String(100000 + i)}` : '+442079460000' }),
    ).flat();
    const warmed = score(habit, undefined, history);
    const hour = [0, 10, 20, 30, 40, 50].flatMap((m, i) => call({ at: MONDAY_10 + m * MIN, to: i % 2 ? '+442079460000' : `+18769${String(200000 + i)}` }));
    const run = score(hour, undefined, warmed);
    expect(kinds(run.findings)).not.toContain('high-risk-share');
  });

  it('stays quiet when an agent with customers in Jamaica makes three of an hour\'s four calls there', () => {
    const habit = Array.from({ length: 40 }, (_, i) =>
      call({ at: MONDAY_10 - 2 * 24 * 60 * MIN + i * 10 * MIN, to: i % 5 === 0 ? `+18769${String(100000 + i)}` : '+442079460000' }),
    ).flat();
    const warmed = score(habit, undefined, history);
    const hour = [0, 15, 30, 45].flatMap((m, i) => call({ at: MONDAY_10 + m * MIN, to: i === 1 ? '+442079460000' : `+18769${String(300000 + i)}` }));
    expect(kinds(score(hour, undefined, warmed).findings)).not.toContain('high-risk-share');
    // …but six of six is no longer chance for her.
    const six = [0, 10, 20, 30, 40, 50].flatMap((m, i) => call({ at: MONDAY_10 + m * MIN, to: `+18769${String(400000 + i)}` }));
    expect(kinds(score(six, undefined, warmed).findings)).toContain('high-risk-share');
  });

  it('stays quiet at three risky calls of seven (after four domestic) from a device with no risky habit, and fires at four', () => {
    // At the floor share (1%) three of seven is already rare by chance (3.4e-5); the 50% share keeps a
    // device whose tenant is starting to serve a country from being flagged at its third call there.
    const hour = (risky: number) =>
      [0, 8, 16, 24, 32, 40, 48].flatMap((m, i) => call({ at: MONDAY_10 + m * MIN, to: i >= 7 - risky ? `+37069${String(100000 + i * 7919)}` : '+442079460000' }));
    expect(kinds(score(hour(3), undefined, history).findings)).not.toContain('high-risk-share');
    expect(kinds(score(hour(4), undefined, history).findings)).toContain('high-risk-share');
  });

  it('computes the binomial upper tail', () => {
    expect(binomialTail(4, 3, 0.2)).toBeCloseTo(4 * 0.2 ** 3 * 0.8 + 0.2 ** 4, 12);
    expect(binomialTail(3, 3, 0.01)).toBeCloseTo(1e-6, 15);
    expect(binomialTail(10, 0, 0.3)).toBe(1);
    expect(binomialTail(2, 3, 0.3)).toBe(0);
  });

  it('fires on many distinct international numbers within an hour, and not on a few', () => {
    const spray = Array.from({ length: 32 }, (_, i) => call({ at: MONDAY_10 + i * 1.8 * MIN, to: `+4930${String(1234560 + i * 1111)}`, seconds: 30 })).flat();
    expect(kinds(score(spray, undefined, history).findings)).toContain('many-destinations');
    const few = Array.from({ length: 20 }, (_, i) => call({ at: MONDAY_10 + i * 3 * MIN, to: `+4930${String(1234560 + i * 1111)}`, seconds: 30 })).flat();
    expect(kinds(score(few, undefined, history).findings)).not.toContain('many-destinations');
  });
});
