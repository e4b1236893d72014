import { call, DEVICE, MIN, MONDAY_10, ordinaryWeek, score, testContext } from '../testing/events';

describe('spend velocity', () => {
  const history = score(ordinaryWeek([DEVICE]));
  const capped = testContext({ spendCaps: { daily: 200 } });

  it('fires when one device spends a tenth of the daily cap within an hour', () => {
    const calls = [0, 20].flatMap((m) => call({ at: MONDAY_10 + m * MIN, to: '+4930123456', seconds: 900, cost: 12 }));
    const f = score(calls, capped, history).findings.find((x) => x.kind === 'spend-velocity');
    expect(f).toMatchObject({ deviceId: DEVICE, severity: 'critical', evidence: { spentLastHour: 24, threshold: 20 } });
  });

  it('fires a tenant finding when the day reaches 80% of the cap', () => {
    const devices = Array.from({ length: 9 }, (_, i) => `00000000-0000-4000-8000-0000000002${String(i).padStart(2, '0')}`);
    const calls = devices.flatMap((device, i) => call({ at: MONDAY_10 + i * 30 * MIN, device, to: '+4930123456', seconds: 900, cost: 18 }));
    const tenant = score(calls, capped, history).findings.filter((f) => f.kind === 'spend-velocity' && f.deviceId === null);
    expect(tenant).toHaveLength(1);
    expect(tenant[0].evidence.spentToday).toBe(162);
  });

  it('stays quiet on long, cheap international calls spread over the day', () => {
    const calls = Array.from({ length: 8 }, (_, i) => call({ at: MONDAY_10 + i * 60 * MIN, to: '+4930123456', seconds: 1800, cost: 3 })).flat();
    expect(score(calls, capped, history).findings.filter((f) => f.kind === 'spend-velocity')).toEqual([]);
  });
});
