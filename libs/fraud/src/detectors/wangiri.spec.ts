import { call, MIN, MONDAY_10, score } from '../testing/events';

const inbound = (at: number, from: string, seconds: number) => call({ at, from, direction: 'inbound', device: null, to: '+442079460000', seconds });

describe('wangiri', () => {
  it('fires on several one-ring calls from premium/high-risk ranges, naming the numbers for the callback guard', () => {
    const ring = Array.from({ length: 6 }, (_, i) => inbound(MONDAY_10 + i * 40_000, `+882167${String(10000 + i)}`, 0)).flat();
    const f = score(ring).findings.find((x) => x.kind === 'wangiri');
    expect(f).toMatchObject({ deviceId: null, dedupeKey: expect.stringMatching(/^wangiri:tenant:.+:\+8821$/), evidence: { calls: 4, topPrefix: '+8821' } });
    expect(String(f?.evidence.numbers)).toContain('+88216710000');
  });

  it('raises a second alert for a second wave from another range soon after the first', () => {
    const first = Array.from({ length: 6 }, (_, i) => inbound(MONDAY_10 + i * 40_000, `+882167${String(10000 + i)}`, 0)).flat();
    const second = Array.from({ length: 5 }, (_, i) => inbound(MONDAY_10 + 8 * MIN + i * 20_000, `+67571${String(10000 + i)}`, 1)).flat();
    const keys = score([...first, ...second]).findings.filter((f) => f.kind === 'wangiri').map((f) => f.dedupeKey.split(':').pop());
    expect(keys).toEqual(['+8821', '+6757']);
  });

  it('stays quiet on missed domestic calls and on a dropped call from a high-risk country', () => {
    const missed = Array.from({ length: 10 }, (_, i) => inbound(MONDAY_10 + i * MIN, `+4416149610${i}`, 0)).flat();
    const dropped = [0, 1].flatMap((i) => inbound(MONDAY_10 + i * 5 * MIN, '+18765551234', 2));
    const answered = Array.from({ length: 6 }, (_, i) => inbound(MONDAY_10 + i * MIN, `+1876555${String(1000 + i)}`, 300)).flat();
    expect(score([...missed, ...dropped, ...answered]).findings).toEqual([]);
  });
});
