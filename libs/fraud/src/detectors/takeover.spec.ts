import { call, DEVICE, MONDAY_10, ordinaryWeek, registration, score } from '../testing/events';

describe('account takeover', () => {
  const history = score(ordinaryWeek([DEVICE]));

  it('fires when a device registers from a country it never registered from', () => {
    const f = score([registration(MONDAY_10, 'NG', '102.89.1.7')], undefined, history).findings.find((x) => x.kind === 'account-takeover');
    expect(f).toMatchObject({ severity: 'critical', evidence: { sourceCountry: 'NG', knownCountries: 'GB', newNetwork: true } });
  });

  it('fires when a call comes from a new country even without a registration', () => {
    const run = score(call({ at: MONDAY_10, sourceCountry: 'RO', sourceIp: '5.2.1.9' }), undefined, history);
    expect(run.findings.map((f) => f.kind)).toContain('account-takeover');
  });

  it('stays quiet on a new network in the same country, and on a brand-new phone', () => {
    expect(score([registration(MONDAY_10, 'GB', '86.1.2.3')], undefined, history).findings).toEqual([]);
    expect(score([registration(MONDAY_10, 'US', '8.8.8.8')]).findings).toEqual([]);
  });
});
