import { call, DEVICE, kinds, MIN, MONDAY_10, ordinaryWeek, score } from '../testing/events';
import { longestRun } from './short-calls';

describe('short-call floods and sequential dialling', () => {
  const history = score(ordinaryWeek([DEVICE]));

  it('fires on a flood of calls that end within seconds', () => {
    const flood = Array.from({ length: 30 }, (_, i) => call({ at: MONDAY_10 + i * 15_000, to: `+44161496${String(1000 + i * 211)}`, seconds: 2 })).flat();
    const f = score(flood, undefined, history).findings.find((x) => x.kind === 'short-call-flood');
    // Domestic numbers: only internal-only (level 2) stops the flood.
    expect(f?.evidence).toMatchObject({ lockToStop: 2 });
  });

  it('stays quiet on an agent whose campaign calls often go unanswered', () => {
    const campaign = Array.from({ length: 30 }, (_, i) =>
      call({ at: MONDAY_10 + i * 70_000, to: `+44161496${String(1000 + i * 211)}`, answered: i % 5 >= 3, seconds: i % 5 >= 3 ? 120 : 0 }),
    ).flat();
    expect(kinds(score(campaign, undefined, history).findings)).not.toContain('short-call-flood');
  });

  it('fires on dialling through a number range', () => {
    const sweep = Array.from({ length: 6 }, (_, i) => call({ at: MONDAY_10 + i * 30_000, to: `+44207946${String(3100 + i + (i > 3 ? 1 : 0))}`, seconds: 3 })).flat();
    const f = score(sweep, undefined, history).findings.find((x) => x.kind === 'sequential-dialling');
    expect(f?.evidence).toMatchObject({ run: 4, range: '+44207946xxxx', lockToStop: 2 });
  });

  it('stays quiet on calls to a few extensions of one company and redials of one number', () => {
    const company = ['+442079463100', '+442079463101', '+442079463200', '+442079463100', '+442079463100', '+442079463101'];
    const run = score(company.flatMap((to, i) => call({ at: MONDAY_10 + i * MIN, to, seconds: 60 })), undefined, history);
    expect(kinds(run.findings)).not.toContain('sequential-dialling');
  });

  it('fires at the second neighbouring number when they come at a dialler\'s pace', () => {
    const probe = [0, 5_000].flatMap((ms, i) => call({ at: MONDAY_10 + ms, to: `+44207946${3100 + i}`, answered: false }));
    const f = score(probe, undefined, history).findings.find((x) => x.kind === 'sequential-dialling');
    expect(f?.evidence).toMatchObject({ run: 2, diallerPace: true, lockToStop: 2 });
    // Abroad, no international (lock level 1) is enough to stop it.
    const abroad = [0, 5_000].flatMap((ms, i) => call({ at: MONDAY_10 + 30 * MIN + ms, to: `+33142685${300 + i}`, answered: false }));
    expect(score(abroad, undefined, history).findings.find((x) => x.kind === 'sequential-dialling')?.evidence).toMatchObject({ lockToStop: 1 });
  });

  it('stays quiet on a misdial put right, and on an immediate redial of the same number', () => {
    const misdial = [...call({ at: MONDAY_10, to: '+442079463102', seconds: 3 }), ...call({ at: MONDAY_10 + 15_000, to: '+442079463101', seconds: 120 })];
    const redial = [0, 4_000].flatMap((ms) => call({ at: MONDAY_10 + 10 * MIN + ms, to: '+442079463300', answered: false }));
    expect(kinds(score([...misdial, ...redial], undefined, history).findings)).not.toContain('sequential-dialling');
  });

  it('measures the longest run of near-consecutive numbers', () => {
    expect(longestRun('442079460105', ['442079460101', '442079460102', '442079460104', '442079460190'])).toBe(4);
    expect(longestRun('4420794', ['4420795'])).toBe(1);
  });
});
