import { call, DEVICE, kinds, MIN, MONDAY_10, ordinaryWeek, score, OTHER_DEVICE } from '../testing/events';

describe('call-rate and concurrency spikes', () => {
  const history = score(ordinaryWeek([DEVICE, OTHER_DEVICE]));

  it('fires when a device dials a parallel burst far above its own rhythm', () => {
    const burst = Array.from({ length: 14 }, (_, i) => call({ at: MONDAY_10 + i * 5000, to: `+3375012${String(1000 + i * 97)}`, seconds: 1200 }));
    const run = score(burst.flat(), undefined, history);
    expect(kinds(run.findings)).toEqual(expect.arrayContaining(['call-rate-spike', 'concurrency-spike']));
    const spike = run.findings.find((f) => f.kind === 'concurrency-spike' && f.deviceId === DEVICE);
    expect(spike?.evidence.active).toBe(4);
    expect(spike?.severity).toBe('critical');
    // French numbers from a GB tenant: no international (level 1) stops the next ones.
    expect(run.findings.find((f) => f.kind === 'call-rate-spike' && f.deviceId === DEVICE)?.evidence.lockToStop).toBe(1);
  });

  it('stays quiet for a busy agent working one call after another, and a transfer (two at once)', () => {
    const busy = Array.from({ length: 30 }, (_, i) => call({ at: MONDAY_10 + i * 2 * MIN, seconds: 80 }));
    const transfer = call({ at: MONDAY_10 + 61 * MIN, seconds: 30 });
    const run = score([...busy.flat(), ...transfer], undefined, history);
    expect(run.findings.filter((f) => f.kind === 'call-rate-spike' || f.kind === 'concurrency-spike')).toEqual([]);
  });

  it('stays quiet for a domestic campaign across the tenant, while the tenant learns its rhythm', () => {
    const campaign = Array.from({ length: 40 }, (_, i) =>
      [DEVICE, OTHER_DEVICE].flatMap((device) => call({ at: MONDAY_10 + i * 1.5 * MIN, device, to: `+44161496${String(1000 + i * 13)}`, seconds: 40 })),
    );
    expect(score(campaign.flat(), undefined, history).findings).toEqual([]);
  });

  it('fires a tenant finding when costly calls across devices surge, not tied to one device', () => {
    const devices = Array.from({ length: 20 }, (_, i) => `00000000-0000-4000-8000-0000000001${String(i).padStart(2, '0')}`);
    const surge = devices.flatMap((device, i) => call({ at: MONDAY_10 + i * 3000, device, to: `+1212555${String(1000 + i)}`, seconds: 900 }));
    const tenantFindings = score(surge, undefined, history).findings.filter((f) => f.deviceId === null);
    expect(tenantFindings.map((f) => f.kind)).toContain('concurrency-spike');
  });
});
