/** RFC 3261 §17 timer values, derived from T1/T2/T4 (all configurable). */
export interface SipTimerConfig {
  t1: number;
  t2: number;
  t4: number;
}

export const DEFAULT_TIMERS: SipTimerConfig = { t1: 500, t2: 4000, t4: 5000 };

export function timerB(t: SipTimerConfig): number {
  return 64 * t.t1;
}

/** Timer D: at least 32 s over UDP, zero over reliable transports. */
export function timerD(t: SipTimerConfig, reliable: boolean): number {
  return reliable ? 0 : Math.max(32_000, 64 * t.t1);
}

export function timerIK(t: SipTimerConfig, reliable: boolean): number {
  return reliable ? 0 : t.t4;
}

export function timerJ(t: SipTimerConfig, reliable: boolean): number {
  return reliable ? 0 : 64 * t.t1;
}

/** Next retransmission interval for A/E/G: doubling, capped at T2 (Timer A is not capped). */
export function nextInterval(t: SipTimerConfig, current: number, capped: boolean): number {
  return capped ? Math.min(current * 2, t.t2) : current * 2;
}
