import { isUuid } from './ids';

/**
 * The fraud worker's own queues: playbook actions of an alert (job id `<alert>.<actions>`; BullMQ forbids ':' in custom ids, so a
 * finding seen twice queues the same plan once), and the scheduled maintenance jobs.
 */
export const FRAUD_QUEUES = { actions: 'fraud-actions', maintenance: 'maintenance' } as const;

export const MAINTENANCE_JOBS = ['expire-refresh-tokens', 'expire-stale-alerts', 'spend-rollup'] as const;
export type MaintenanceJob = (typeof MAINTENANCE_JOBS)[number];

/** Actions of one alert, carried out in this order; each is claimed on its own, so a retry redoes none. */
export interface FraudActionJob {
  tenantId: string;
  alertId: string;
  actions: string[];
}

export const fraudActionJobId = (alertId: string, actions: readonly string[]) => `${alertId}.${actions.join('+')}`;

export function parseFraudActionJob(data: unknown, actions: readonly string[]): { ok: true; job: FraudActionJob } | { ok: false; problem: string } {
  if (typeof data !== 'object' || data === null) return { ok: false, problem: 'payload must be an object' };
  const d = data as Record<string, unknown>;
  if (typeof d.tenantId !== 'string' || !isUuid(d.tenantId)) return { ok: false, problem: 'tenantId must be a UUID' };
  if (typeof d.alertId !== 'string' || !isUuid(d.alertId)) return { ok: false, problem: 'alertId must be a UUID' };
  if (!Array.isArray(d.actions) || d.actions.length === 0 || !d.actions.every((a) => typeof a === 'string' && actions.includes(a)))
    return { ok: false, problem: `actions must be a non-empty list of ${actions.join(', ')}` };
  return { ok: true, job: { tenantId: d.tenantId, alertId: d.alertId, actions: d.actions as string[] } };
}

/**
 * Raises a spend counter the caps read to at least the CDRs' sum, never lowers it: calls that ended
 * since the roll-up's query were added by the SIP app and must stay counted. Restores a counter lost
 * with Redis, so a flushed cache never reopens a cap.
 */
export const RAISE_SPEND_FLOOR_LUA = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 1
end
return 0`;
