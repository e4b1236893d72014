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
  if (list.length < WANGIRI.minCalls) return { findings: [], nextState };
  const prefixes = new Map<string, number>();
  for (const [, n] of list) prefixes.set(n.slice(0, 5), (prefixes.get(n.slice(0, 5)) ?? 0) + 1);
  const [topPrefix] = [...prefixes.entries()].sort((a, b) => b[1] - a[1])[0];
  const f = finding(ev, 'wangiri', 'warning', `${list.length} short inbound calls from risky ranges in 15 min (mostly ${topPrefix}…)`, {
    calls: list.length,
    topPrefix,
    numbers: list.slice(-10).map(([, n]) => n).join(','),
    windowSeconds: WANGIRI.windowMs / 1000,
  }, 'tenant');
  // One alert per range: two campaigns from different ranges are two alerts, each with its numbers.
  return { findings: [{ ...f, dedupeKey: `${f.dedupeKey}:${topPrefix}` }], nextState };
};
