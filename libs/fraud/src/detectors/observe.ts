import { CAPS, trimList, type ScoringState } from '../state';
import { HOUR, isCostly, isOutboundEnd, isOutboundStart, quiet, type Detector } from './types';

/** A call that ended within this many seconds (or was never answered) is short. */
export const SHORT_CALL_SECONDS = 6;

function pruneActive(active: Record<string, number>, now: number, cap: number): Record<string, number> {
  const out: Record<string, number> = {};
  const entries = Object.entries(active).filter(([, at]) => now - at < CAPS.activeMaxMs);
  entries.sort((a, b) => b[1] - a[1]);
  for (const [id, at] of entries.slice(0, cap)) out[id] = at;
  return out;
}

/**
 * Shared bookkeeping every other detector reads: the device's recent call starts and ends, its
 * calls in progress, and the tenant's costly calls in progress. Never fires.
 */
export const observeCalls: Detector = (ev, _ctx, state) => {
  const { device, tenant } = state;
  if (!device || !ev.callId || (!isOutboundStart(ev) && !isOutboundEnd(ev))) return quiet(state);
  const since = ev.at - CAPS.windowMs;
  const next: ScoringState = { device: { ...device }, tenant };
  const d = next.device!;
  const costly = isCostly(ev);
  if (ev.type === 'call.started') {
    d.recent = trimList([...device.recent, [ev.at, ev.remote.digits, ev.remote.risky ? 1 : 0, ev.international ? 1 : 0]], since, CAPS.recent);
    d.active = pruneActive({ ...device.active, [ev.callId]: ev.at }, ev.at, CAPS.active);
    if (costly) {
      next.tenant = {
        ...tenant,
        internationalStarts: trimList([...tenant.internationalStarts, ev.at], ev.at - 5 * 60_000, CAPS.internationalStarts),
        internationalActive: pruneActive({ ...tenant.internationalActive, [ev.callId]: ev.at }, ev.at, CAPS.internationalActive),
      };
    }
  } else {
    const short = !ev.answered || ev.durationSeconds <= SHORT_CALL_SECONDS ? 1 : 0;
    d.ended = trimList([...device.ended, [ev.at, short, ev.cost]], since, CAPS.ended);
    if (ev.callId in device.active) {
      const { [ev.callId]: _gone, ...rest } = device.active;
      d.active = rest;
    }
    if (ev.callId in tenant.internationalActive) {
      const { [ev.callId]: _gone, ...rest } = tenant.internationalActive;
      next.tenant = { ...tenant, internationalActive: rest };
    }
  }
  return quiet(next);
};

export const countSince = <T extends [number, ...unknown[]]>(list: readonly T[], since: number): number => {
  let n = 0;
  for (let i = list.length - 1; i >= 0 && list[i][0] >= since; i--) n++;
  return n;
};

export const WINDOW_HOUR = HOUR;
