import type { Finding } from '../finding';
import { countKeys, type ScoringState } from '../state';
import { addToBucket, advance, maxIntoBucket, threshold, type BaselineSpec } from './baseline';
import { countSince } from './observe';
import { finding, isCostly, isOutboundStart, lockToStop, MINUTE, quiet, type Detector } from './types';

/** Calls a device starts per 5 minutes. An agent dials a few; the floor sits above a power dialler's pace. */
export const DEVICE_RATE: BaselineSpec = { widthMs: 5 * MINUTE, alpha: 0.02, k: 4, floor: 12, warmBuckets: 24 };
/** Peak calls in progress per 15 minutes. A phone holds one call, two during a transfer. */
export const DEVICE_CONCURRENCY: BaselineSpec = { widthMs: 15 * MINUTE, alpha: 0.05, k: 4, floor: 3, warmBuckets: 8 };
/**
 * Tenant baselines count costly calls (international or premium) only: a domestic campaign can
 * triple a call centre's volume legitimately and cheaply, a surge abroad is what costs money.
 */
export const TENANT_RATE: BaselineSpec = { widthMs: 5 * MINUTE, alpha: 0.02, k: 5, floor: 25, warmBuckets: 24 };
export const TENANT_CONCURRENCY: BaselineSpec = { widthMs: 15 * MINUTE, alpha: 0.05, k: 5, floor: 15, warmBuckets: 8 };

const round = (x: number) => Math.round(x * 100) / 100;

/** Call-rate and concurrency spikes of the device against its own baseline, and of the tenant's costly calls. */
export const detectRateSpikes: Detector = (ev, _ctx, state) => {
  if (!isOutboundStart(ev) || !state.device) return quiet(state);
  const findings: Finding[] = [];
  const d = state.device;
  const rate = advance(d.rate, ev.at, DEVICE_RATE);
  const conc = advance(d.concurrency, ev.at, DEVICE_CONCURRENCY);
  const inFive = countSince(d.recent, ev.at - 5 * MINUTE);
  const active = countKeys(d.active);
  const rateLimit = threshold(rate, DEVICE_RATE);
  const concLimit = threshold(conc, DEVICE_CONCURRENCY);
  if (inFive > rateLimit)
    findings.push(
      finding(ev, 'call-rate-spike', 'warning', `${inFive} calls in 5 min (limit ${round(rateLimit)}, baseline ${round(rate.mean)})`, {
        calls: inFive,
        windowSeconds: 300,
        threshold: round(rateLimit),
        baseline: round(rate.mean),
        lockToStop: lockToStop(ev),
      }),
    );
  if (active > concLimit)
    findings.push(
      finding(ev, 'concurrency-spike', 'critical', `${active} calls at once (limit ${round(concLimit)}, baseline peak ${round(conc.mean)})`, {
        active,
        threshold: round(concLimit),
        baseline: round(conc.mean),
      }),
    );
  const next: ScoringState = {
    device: { ...d, rate: addToBucket(rate, 1), concurrency: maxIntoBucket(conc, active) },
    tenant: state.tenant,
  };
  if (!isCostly(ev)) return { findings, nextState: next };

  const t = state.tenant;
  const tRate = advance(t.internationalRate, ev.at, TENANT_RATE);
  const tConc = advance(t.internationalConcurrency, ev.at, TENANT_CONCURRENCY);
  const tInFive = t.internationalStarts.filter((at) => at >= ev.at - 5 * MINUTE).length;
  const tActive = countKeys(t.internationalActive);
  const tRateLimit = threshold(tRate, TENANT_RATE);
  const tConcLimit = threshold(tConc, TENANT_CONCURRENCY);
  if (tInFive > tRateLimit)
    findings.push(
      finding(ev, 'call-rate-spike', 'warning', `tenant: ${tInFive} international calls in 5 min (limit ${round(tRateLimit)})`, {
        calls: tInFive,
        windowSeconds: 300,
        threshold: round(tRateLimit),
        baseline: round(tRate.mean),
      }, 'tenant'),
    );
  if (tActive > tConcLimit)
    findings.push(
      finding(ev, 'concurrency-spike', 'critical', `tenant: ${tActive} international calls at once (limit ${round(tConcLimit)})`, {
        active: tActive,
        threshold: round(tConcLimit),
        baseline: round(tConc.mean),
      }, 'tenant'),
    );
  next.tenant = { ...t, internationalRate: addToBucket(tRate, 1), internationalConcurrency: maxIntoBucket(tConc, tActive) };
  return { findings, nextState: next };
};
