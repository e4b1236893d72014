import type { CallEventJob } from '../../libs/common/src';
import type { FraudKind } from '../../libs/fraud/src';
import { call, MIN, MONDAY_10, registration } from '../../libs/fraud/src/testing/events';

/** Device ids by the names a scenario declares. */
export type Ids = Record<string, string>;

export interface Scenario {
  /** Devices that have a week of ordinary calls behind them. */
  devices: string[];
  /** Devices with no history at all (a phone just handed out). */
  fresh?: string[];
  build(ids: Ids): CallEventJob[];
}

/** An attack and the legitimate traffic that looks most like it. */
export interface Pair {
  name: string;
  /** Kinds the attack must raise an alert for (on its device, or the tenant for wangiri). */
  fires: FraudKind[];
  attack: Scenario;
  lookalike: Scenario;
}

const DAY = 24 * 60 * MIN;
/** Saturday 03:00 London. */
export const SATURDAY_3 = MONDAY_10 + 4 * DAY + 17 * 60 * MIN;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const inbound = (at: number, from: string, seconds: number) => call({ at, from, direction: 'inbound', device: null, to: '+442079460000', seconds });

export const PAIRS: Pair[] = [
  {
    name: 'a parallel burst from a stolen credential / a busy agent, a transfer and a domestic campaign',
    fires: ['call-rate-spike', 'concurrency-spike'],
    attack: {
      devices: ['burst'],
      build: ({ burst }) => range(14).flatMap((i) => call({ at: MONDAY_10 + i * 5000, device: burst, to: `+3375012${1000 + i * 97}`, seconds: 1200 })),
    },
    lookalike: {
      devices: ['busy', 'campaignA', 'campaignB'],
      build: ({ busy, campaignA, campaignB }) => [
        ...range(30).flatMap((i) => call({ at: MONDAY_10 + i * 2 * MIN, device: busy, seconds: 80 })),
        ...call({ at: MONDAY_10 + 61 * MIN, device: busy, seconds: 30 }),
        ...range(40).flatMap((i) =>
          [campaignA, campaignB].flatMap((device) => call({ at: MONDAY_10 + i * 1.5 * MIN, device, to: `+44161496${1000 + i * 13}`, seconds: 40 })),
        ),
      ],
    },
  },
  {
    name: 'a first call to Cuba / a first call to France, and to Jamaica which a colleague calls every day',
    fires: ['new-destination'],
    attack: { devices: ['cuba'], build: ({ cuba }) => call({ at: MONDAY_10, device: cuba, to: '+5327012345', seconds: 600 }) },
    lookalike: {
      devices: ['jamaicaDesk', 'newcomer'],
      build: ({ jamaicaDesk, newcomer }) => [
        ...call({ at: MONDAY_10 - 4 * DAY, device: jamaicaDesk, to: '+18769910000' }),
        ...range(16).flatMap((i) =>
          call({ at: MONDAY_10 - 2 * DAY + i * 10 * MIN, device: jamaicaDesk, to: i % 4 ? '+442079460000' : `+187699${10000 + i}` }),
        ),
        ...call({ at: MONDAY_10, device: newcomer, to: '+33142685300' }),
        ...call({ at: MONDAY_10 + 5 * MIN, device: newcomer, to: '+18769912345' }),
      ],
    },
  },
  {
    name: 'a slow drip to Lithuania / an agent whose customers are partly in Jamaica',
    fires: ['high-risk-share'],
    attack: {
      devices: ['drip'],
      build: ({ drip }) => [0, 15, 30].flatMap((m, i) => call({ at: MONDAY_10 + m * MIN, device: drip, to: `+37069${100000 + i * 7919}`, seconds: 600 })),
    },
    lookalike: {
      devices: ['habit'],
      build: ({ habit }) => [
        ...range(30).flatMap((i) => call({ at: MONDAY_10 - 2 * DAY + i * 10 * MIN, device: habit, to: i % 3 === 0 ? `+18769${100000 + i}` : '+442079460000' })),
        ...[0, 10, 20, 30, 40, 50].flatMap((m, i) => call({ at: MONDAY_10 + m * MIN, device: habit, to: i % 2 ? '+442079460000' : `+18769${200000 + i}` })),
      ],
    },
  },
  {
    name: '32 German numbers in an hour / 20 German numbers in an hour',
    fires: ['many-destinations'],
    attack: {
      devices: ['spray'],
      build: ({ spray }) => range(32).flatMap((i) => call({ at: MONDAY_10 + i * 1.8 * MIN, device: spray, to: `+4930${1234560 + i * 1111}`, seconds: 30 })),
    },
    lookalike: {
      devices: ['exporter'],
      build: ({ exporter }) => range(20).flatMap((i) => call({ at: MONDAY_10 + i * 3 * MIN, device: exporter, to: `+4930${1234560 + i * 1111}`, seconds: 30 })),
    },
  },
  {
    name: 'a flood of two-second calls / a campaign where most calls go unanswered',
    fires: ['short-call-flood'],
    attack: {
      devices: ['flood'],
      build: ({ flood }) => range(30).flatMap((i) => call({ at: MONDAY_10 + i * 15_000, device: flood, to: `+44161496${1000 + i * 211}`, seconds: 2 })),
    },
    lookalike: {
      devices: ['dialler'],
      build: ({ dialler }) =>
        range(30).flatMap((i) =>
          call({ at: MONDAY_10 + i * 70_000, device: dialler, to: `+44161496${1000 + i * 211}`, answered: i % 5 >= 3, seconds: i % 5 >= 3 ? 120 : 0 }),
        ),
    },
  },
  {
    name: 'dialling through a number range / extensions of one company and redials',
    fires: ['sequential-dialling'],
    attack: {
      devices: ['sweep'],
      build: ({ sweep }) => range(6).flatMap((i) => call({ at: MONDAY_10 + i * 30_000, device: sweep, to: `+44207946${3100 + i + (i > 3 ? 1 : 0)}`, seconds: 3 })),
    },
    lookalike: {
      devices: ['reception'],
      build: ({ reception }) =>
        ['+442079463100', '+442079463101', '+442079463200', '+442079463100', '+442079463100', '+442079463101'].flatMap((to, i) =>
          call({ at: MONDAY_10 + i * MIN, device: reception, to, seconds: 60 }),
        ),
    },
  },
  {
    name: 'Germany at 3 a.m. on a Saturday / a domestic call at night and Germany in office hours',
    fires: ['out-of-hours-international'],
    attack: { devices: ['night'], build: ({ night }) => call({ at: SATURDAY_3, device: night, to: '+4930123456' }) },
    lookalike: {
      devices: ['lateShift'],
      build: ({ lateShift }) => [...call({ at: SATURDAY_3, device: lateShift, to: '+442079460000' }), ...call({ at: MONDAY_10, device: lateShift, to: '+4930123456' })],
    },
  },
  {
    name: 'a tenth of the daily cap spent in 20 minutes / long cheap calls through the day',
    fires: ['spend-velocity'],
    attack: {
      devices: ['spender'],
      build: ({ spender }) => [0, 20].flatMap((m) => call({ at: MONDAY_10 + m * MIN, device: spender, to: '+4930123456', seconds: 900, cost: 12 })),
    },
    lookalike: {
      devices: ['berlinDesk'],
      build: ({ berlinDesk }) => range(8).flatMap((i) => call({ at: MONDAY_10 + i * 60 * MIN, device: berlinDesk, to: '+4930123456', seconds: 1800, cost: 3 })),
    },
  },
  {
    name: 'a registration from Nigeria / a new network at home, and a new phone set up abroad',
    fires: ['account-takeover'],
    attack: { devices: ['stolen'], build: ({ stolen }) => [registration(MONDAY_10, 'NG', '102.89.1.7', stolen)] },
    lookalike: {
      devices: ['homeWorker'],
      fresh: ['unboxed'],
      build: ({ homeWorker, unboxed }) => [registration(MONDAY_10, 'GB', '86.1.2.3', homeWorker), registration(MONDAY_10, 'US', '8.8.8.8', unboxed)],
    },
  },
  {
    name: 'one-ring calls from a premium range / missed domestic calls, a dropped call and customers from Jamaica',
    fires: ['wangiri'],
    attack: { devices: [], build: () => range(6).flatMap((i) => inbound(MONDAY_10 + i * 40_000, `+882167${10000 + i}`, 0)) },
    lookalike: {
      devices: [],
      build: () => [
        ...range(10).flatMap((i) => inbound(MONDAY_10 + i * MIN, `+4416149610${i}`, 0)),
        ...[0, 1].flatMap((i) => inbound(MONDAY_10 + i * 5 * MIN, '+18765551234', 2)),
        ...range(6).flatMap((i) => inbound(MONDAY_10 + i * MIN, `+1876555${1000 + i}`, 300)),
      ],
    },
  },
];

/** A centre that works around the clock: a week of calls at every hour, then Germany on a Tuesday at 03:00. */
export const NIGHT_SHIFT: Scenario = {
  devices: [],
  fresh: ['nightDesk'],
  build: ({ nightDesk }) => [
    ...range(7).flatMap((day) => range(200).flatMap((i) => call({ at: MONDAY_10 - 7 * DAY + day * DAY + i * 7.2 * MIN, device: nightDesk, to: '+442079460000' }))),
    ...call({ at: MONDAY_10 + 17 * 60 * MIN, device: nightDesk, to: '+4930123456' }),
  ],
};
