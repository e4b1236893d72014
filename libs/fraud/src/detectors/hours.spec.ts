import { call, DEVICE, MIN, MONDAY_10, ordinaryWeek, score, testContext } from '../testing/events';

const SATURDAY_3 = MONDAY_10 + 4 * 24 * 60 * MIN + 17 * 60 * MIN; // Saturday 03:00 London

describe('international calls out of hours', () => {
  const history = score(ordinaryWeek([DEVICE]));

  it('fires on an international call at night', () => {
    const f = score(call({ at: SATURDAY_3, to: '+4930123456' }), undefined, history).findings.find((x) => x.kind === 'out-of-hours-international');
    expect(f?.evidence).toMatchObject({ localHour: 3, country: 'DE', lockToStop: 1 });
    // A premium range at home at night: level 1 would leave it open.
    const premium = score(call({ at: SATURDAY_3 + 60_000, to: '+449098790123' }), undefined, history).findings.find((x) => x.kind === 'out-of-hours-international');
    expect(premium?.evidence).toMatchObject({ lockToStop: 2 });
  });

  it('stays quiet on a domestic call at night and an international call in hours', () => {
    const run = score([...call({ at: SATURDAY_3, to: '+442079460000' }), ...call({ at: MONDAY_10, to: '+4930123456' })], undefined, history);
    expect(run.findings.filter((f) => f.kind === 'out-of-hours-international')).toEqual([]);
  });

  it('follows the tenant policy hours, and a 24/7 tenant that works at night is not flagged', () => {
    const everyDay = testContext({ internationalHours: { days: [0, 1, 2, 3, 4, 5, 6], start: '00:00', end: '00:00' } });
    expect(score(call({ at: SATURDAY_3, to: '+4930123456' }), everyDay, history).findings).toEqual([]);
    const nights = Array.from({ length: 7 }, (_, day) =>
      Array.from({ length: 200 }, (_, i) => call({ at: MONDAY_10 - 7 * 24 * 60 * MIN + day * 24 * 60 * MIN + i * 7.2 * MIN, to: '+442079460000' })),
    ).flat(2);
    const allHours = score(nights);
    const tuesday3 = MONDAY_10 + 17 * 60 * MIN;
    expect(score(call({ at: tuesday3, to: '+4930123456' }), undefined, allHours).findings.filter((f) => f.kind === 'out-of-hours-international')).toEqual([]);
  });
});
