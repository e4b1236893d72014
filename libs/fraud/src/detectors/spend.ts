import type { Finding } from '../finding';
import { addToBucket, advance, threshold, type BaselineSpec } from './baseline';
import { finding, HOUR, isOutboundEnd, quiet, type Detector } from './types';

/** A device's spend per hour; the floor applies when the tenant has no daily cap. */
export const DEVICE_SPEND_HOUR: BaselineSpec = { widthMs: HOUR, alpha: 0.05, k: 4, floor: 20, warmBuckets: 24 };
/** One device spending this share of the tenant's daily cap within an hour is fraud-like velocity. */
export const DEVICE_CAP_SHARE_PER_HOUR = 0.1;
/** The tenant's spend today reaching this share of its cap raises a tenant finding before the cap locks it. */
export const TENANT_CAP_SHARE = 0.8;

const money = (x: number) => Math.round(x * 100) / 100;

/** Spend velocity of a device against its own baseline and the tenant's daily cap, and the tenant's day against the cap. */
export const detectSpendVelocity: Detector = (ev, ctx, state) => {
  if (!isOutboundEnd(ev) || !state.device || ev.cost <= 0) return quiet(state);
  const findings: Finding[] = [];
  const d = state.device;
  const spend = advance(d.spendHour, ev.at, DEVICE_SPEND_HOUR);
  let lastHour = 0;
  for (let i = d.ended.length - 1; i >= 0 && d.ended[i][0] >= ev.at - HOUR; i--) lastHour += d.ended[i][2];
  const capFloor = ctx.dailyCap !== undefined ? ctx.dailyCap * DEVICE_CAP_SHARE_PER_HOUR : 0;
  const limit = Math.max(threshold(spend, DEVICE_SPEND_HOUR), capFloor);
  if (lastHour > limit)
    findings.push(
      finding(ev, 'spend-velocity', 'critical', `spent ${money(lastHour)} in the last hour (limit ${money(limit)})`, {
        spentLastHour: money(lastHour),
        threshold: money(limit),
        baseline: money(spend.mean),
        dailyCap: ctx.dailyCap ?? 'none',
      }),
    );

  const day = ctx.localDate(ev.at);
  const before = state.tenant.spend.day === day ? state.tenant.spend.total : 0;
  const total = before + ev.cost;
  if (ctx.dailyCap !== undefined && before < ctx.dailyCap * TENANT_CAP_SHARE && total >= ctx.dailyCap * TENANT_CAP_SHARE)
    findings.push(
      finding(ev, 'spend-velocity', 'critical', `tenant spend today ${money(total)} reached ${TENANT_CAP_SHARE * 100}% of the daily cap ${ctx.dailyCap}`, {
        spentToday: money(total),
        dailyCap: ctx.dailyCap,
      }, 'tenant'),
    );
  return {
    findings,
    nextState: { device: { ...d, spendHour: addToBucket(spend, ev.cost) }, tenant: { ...state.tenant, spend: { day, total } } },
  };
};
