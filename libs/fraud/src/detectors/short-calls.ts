import { finding, isOutboundEnd, isOutboundStart, lockToStop, MINUTE, quiet, type Detector } from './types';

/** A campaign agent with a run of unanswered calls reaches ~20 in 10 minutes; a probing dialler, hundreds. */
export const SHORT_FLOOD = { windowMs: 10 * MINUTE, minShort: 25, share: 0.8 } as const;
export const SEQUENTIAL = { windowMs: 10 * MINUTE, run: 4, maxGap: 3, sharedSuffixDigits: 4 } as const;
/**
 * Enumeration at a dialler's pace: a neighbouring number started within seconds of the last one.
 * A person who misdials has to hear the wrong number, hang up and key in the number again, which
 * takes longer; a slower enumerator is still caught by the run of four above.
 */
export const DIALLER_PACE = { withinMs: 10_000, run: 2 } as const;

/** Many calls that end within seconds or are never answered: a dialler probing numbers or routes. */
export const detectShortCallFlood: Detector = (ev, _ctx, state) => {
  if (!isOutboundEnd(ev) || !state.device) return quiet(state);
  const since = ev.at - SHORT_FLOOD.windowMs;
  let ended = 0;
  let short = 0;
  const list = state.device.ended;
  for (let i = list.length - 1; i >= 0 && list[i][0] >= since; i--) {
    ended++;
    short += list[i][1];
  }
  if (short < SHORT_FLOOD.minShort || short / ended < SHORT_FLOOD.share) return quiet(state);
  return {
    findings: [
      finding(ev, 'short-call-flood', 'warning', `${short} of ${ended} calls in 10 min ended within seconds`, {
        shortCalls: short,
        calls: ended,
        windowSeconds: SHORT_FLOOD.windowMs / 1000,
        lockToStop: lockToStop(ev),
      }),
    ],
    nextState: state,
  };
};

/**
 * Number-range enumeration: the device's recent destinations that differ only in their last few
 * digits form a run of near-consecutive numbers (…0101, …0102, …0104, …0105, …0106).
 */
export function longestRun(digits: string, others: readonly string[]): number {
  const cut = digits.length - SEQUENTIAL.sharedSuffixDigits;
  if (cut < 4) return 1;
  const stem = digits.slice(0, cut);
  const values = new Set<number>();
  for (const o of others) if (o.length === digits.length && o.startsWith(stem)) values.add(Number(o.slice(cut)));
  values.add(Number(digits.slice(cut)));
  const sorted = [...values].sort((a, b) => a - b);
  let best = 1;
  let run = 1;
  for (let i = 1; i < sorted.length; i++) {
    run = sorted[i] - sorted[i - 1] <= SEQUENTIAL.maxGap ? run + 1 : 1;
    best = Math.max(best, run);
  }
  return best;
}

export const detectSequentialDialling: Detector = (ev, _ctx, state) => {
  if (!isOutboundStart(ev) || !state.device || !ev.remote.digits) return quiet(state);
  const since = ev.at - SEQUENTIAL.windowMs;
  const others: string[] = [];
  const justNow: string[] = [];
  const list = state.device.recent;
  for (let i = list.length - 1; i >= 0 && list[i][0] >= since; i--) {
    others.push(list[i][1]);
    if (list[i][0] >= ev.at - DIALLER_PACE.withinMs) justNow.push(list[i][1]);
  }
  const run = longestRun(ev.remote.digits, others);
  const paced = justNow.length > 0 && longestRun(ev.remote.digits, justNow) >= DIALLER_PACE.run;
  if (run < SEQUENTIAL.run && !paced) return quiet(state);
  const stem = ev.remote.digits.slice(0, ev.remote.digits.length - SEQUENTIAL.sharedSuffixDigits);
  const how =
    run >= SEQUENTIAL.run
      ? `${run} near-consecutive numbers dialled under +${stem} in 10 min`
      : `neighbouring numbers under +${stem} dialled within ${DIALLER_PACE.withinMs / 1000} s`;
  return {
    findings: [
      finding(ev, 'sequential-dialling', 'warning', how, {
        run,
        range: `+${stem}${'x'.repeat(SEQUENTIAL.sharedSuffixDigits)}`,
        windowSeconds: SEQUENTIAL.windowMs / 1000,
        diallerPace: paced,
        lockToStop: lockToStop(ev),
      }),
    ],
    nextState: state,
  };
};
