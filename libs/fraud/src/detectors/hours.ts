import { finding, isCostly, isOutboundStart, lockToStop, quiet, type Detector } from './types';

const DAY = 86_400_000;
/** An hour of day with at least this share of the tenant's busiest hour is a working hour for it. */
export const WORKING_HOUR_SHARE = 0.25;
/** …once the busiest hour has seen this many calls (decayed), so one evening call teaches nothing. */
export const WORKING_HOURS_MIN_CALLS = 20;
const DAILY_DECAY = 0.8;

/**
 * International (or premium) calls outside the tenant's business hours: its international hours
 * policy, else Monday–Friday 08:00–19:00, widened by the hours the tenant's own traffic shows it
 * works (a 24/7 centre is not flagged at night). A low-risk country the device already calls is
 * not flagged (detectDestinations runs after this one, so the call itself has not taught it yet).
 */
export const detectOutOfHours: Detector = (ev, ctx, state) => {
  if (!isOutboundStart(ev)) return quiet(state);
  const t = state.tenant;
  const day = Math.floor(ev.at / DAY);
  let hours = t.hours;
  if (day > t.hoursDay && t.hoursDay >= 0) {
    const factor = Math.pow(DAILY_DECAY, Math.min(30, day - t.hoursDay));
    hours = hours.map((h) => h * factor);
  }
  const hour = ctx.localHour(ev.at);
  const busiest = Math.max(...hours);
  const worksNow = busiest >= WORKING_HOURS_MIN_CALLS && hours[hour] >= WORKING_HOUR_SHARE * busiest;
  // A known international caller phoning a country it always calls is working late, not defrauding.
  const usual = ev.remote.country !== null && !ev.remote.risky && state.device !== null && ev.remote.country in state.device.countries;
  const findings =
    isCostly(ev) && !usual && !ctx.inBusinessHours(ev.at) && !worksNow
      ? [
          finding(ev, 'out-of-hours-international', 'warning', `call to ${ev.remote.country ?? 'an international number'} at ${hour}:00 tenant time, outside business hours`, {
            localHour: hour,
            country: ev.remote.country ?? 'unknown',
            tier: ev.remote.tier,
            lockToStop: lockToStop(ev),
          }),
        ]
      : [];
  const nextHours = hours.slice();
  nextHours[hour] += 1;
  return { findings, nextState: { device: state.device, tenant: { ...t, hours: nextHours, hoursDay: Math.max(day, t.hoursDay) } } };
};
