import type { ScoredEvent } from '../state';
import { CAPS, trimList } from '../state';
import { finding, MINUTE, quiet, type Detector } from './types';

export const WANGIRI = { windowMs: 15 * MINUTE, minCalls: 4, maxSeconds: 5 } as const;

/** An inbound call from a risky range that rang once or lasted seconds: what a callback guard must remember. */
export const isShortRiskyInbound = (ev: ScoredEvent): boolean =>
  ev.type === 'call.ended' &&
  ev.direction === 'inbound' &&
  ev.remote.risky &&
  ev.remote.digits !== '' &&
  (!ev.answered || ev.durationSeconds <= WANGIRI.maxSeconds);

/**
 * Wangiri ("one ring and cut"): many very short inbound calls from premium or high-risk ranges,
 * meant to make people call back at premium rates. Tenant-wide: the calls hit many extensions.
 */
export const detectWangiri: Detector = (ev, _ctx, state) => {
  if (!isShortRiskyInbound(ev)) return quiet(state);
  const t = state.tenant;
  const list = trimList([...t.shortRiskyInbound, [ev.at, `+${ev.remote.digits}`] as [number, string]], ev.at - WANGIRI.windowMs, CAPS.shortRiskyInbound);
  const nextState = { device: state.device, tenant: { ...t, shortRiskyInbound: list } };
  // Per calling range (the first digits), so a second wave from another range is its own alert;
  // callers scattered over many ranges count together at twice the threshold.
  const range = `+${ev.remote.digits}`.slice(0, 5);
  const fromRange = list.filter(([, n]) => n.startsWith(range)).length;
  if (fromRange < WANGIRI.minCalls && list.length < 2 * WANGIRI.minCalls) return { findings: [], nextState };
  const f = finding(ev, 'wangiri', 'warning', `${fromRange} short inbound calls from ${range}… in 15 min (${list.length} from risky ranges)`, {
    calls: fromRange,
    riskyCalls: list.length,
    topPrefix: range,
    numbers: list.filter(([, n]) => n.startsWith(range)).slice(-10).map(([, n]) => n).join(','),
    windowSeconds: WANGIRI.windowMs / 1000,
  }, 'tenant');
  // One alert per range: two campaigns from different ranges are two alerts, each with its numbers.
  return { findings: [{ ...f, dedupeKey: `${f.dedupeKey}:${range}` }], nextState };
};
