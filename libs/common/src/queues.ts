import { isUuid } from './ids';

/**
 * Queue names and job payloads shared by producers (the SIP app) and consumers (the worker),
 * so the two cannot drift apart. Payloads carry ids and the facts fraud scoring reads, never a
 * secret: numbers are the dialled/calling numbers already in the CDR.
 */
export const QUEUES = { callEvents: 'call-events' } as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const CALL_EVENT_TYPES = ['call.started', 'call.answered', 'call.ended', 'device.registered'] as const;
export type CallEventType = (typeof CALL_EVENT_TYPES)[number];

export const CALL_DIRECTIONS = ['internal', 'outbound', 'inbound'] as const;
export type CallDirection = (typeof CALL_DIRECTIONS)[number];

export interface CallEventJob {
  /** Unique per event; the producer uses it as the BullMQ job id, so a retried publish is one job. */
  eventId: string;
  type: CallEventType;
  tenantId: string;
  /** SIP Call-ID of the caller's leg (absent for device.registered). */
  callId?: string;
  deviceId?: string | null;
  trunkId?: string | null;
  direction?: CallDirection;
  fromNumber?: string;
  /** E.164 for external numbers, the extension number for internal calls. */
  toNumber?: string;
  /** ISO 3166 alpha-2 of the destination (outbound) or of the calling number (inbound). */
  remoteCountry?: string | null;
  sourceIp?: string;
  sourceCountry?: string | null;
  /** ISO-8601 instant at which the SIP app saw the event. */
  occurredAt: string;
  startedAt?: string;
  answeredAt?: string | null;
  endedAt?: string | null;
  /** Whole seconds answered (call.ended). */
  durationSeconds?: number;
  disposition?: string;
  /** Cost in the tenant's currency so far (call.ended: final). */
  cost?: number;
}

const OPTIONAL_STRINGS = ['callId', 'fromNumber', 'toNumber', 'sourceIp', 'disposition'] as const;
const OPTIONAL_DATES = ['startedAt', 'answeredAt', 'endedAt'] as const;

/** Returns the payload typed when it is a well-formed CallEventJob, or the reasons it is not. */
export function parseCallEventJob(data: unknown): { ok: true; job: CallEventJob } | { ok: false; problems: string[] } {
  if (typeof data !== 'object' || data === null) return { ok: false, problems: ['payload must be an object'] };
  const d = data as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof d.eventId !== 'string' || d.eventId.length === 0 || d.eventId.length > 300) problems.push('eventId must be 1-300 characters');
  if (!(CALL_EVENT_TYPES as readonly unknown[]).includes(d.type)) problems.push(`type must be one of ${CALL_EVENT_TYPES.join(', ')}`);
  if (typeof d.tenantId !== 'string' || !isUuid(d.tenantId)) problems.push('tenantId must be a UUID');
  if (d.type !== 'device.registered' && (typeof d.callId !== 'string' || d.callId.length === 0))
    problems.push('callId is required for call events');
  for (const k of OPTIONAL_STRINGS)
    if (d[k] !== undefined && (typeof d[k] !== 'string' || (d[k] as string).length > 256)) problems.push(`${k} must be a string of at most 256 characters`);
  for (const k of ['deviceId', 'trunkId'] as const)
    if (d[k] !== undefined && d[k] !== null && (typeof d[k] !== 'string' || !isUuid(d[k] as string))) problems.push(`${k} must be a UUID or null`);
  if (d.direction !== undefined && !(CALL_DIRECTIONS as readonly unknown[]).includes(d.direction))
    problems.push(`direction must be one of ${CALL_DIRECTIONS.join(', ')}`);
  for (const k of ['remoteCountry', 'sourceCountry'] as const)
    if (d[k] !== undefined && d[k] !== null && (typeof d[k] !== 'string' || !/^[A-Z]{2}$/.test(d[k] as string)))
      problems.push(`${k} must be an ISO 3166 alpha-2 code or null`);
  if (typeof d.occurredAt !== 'string' || Number.isNaN(Date.parse(d.occurredAt))) problems.push('occurredAt must be an ISO-8601 date');
  for (const k of OPTIONAL_DATES)
    if (d[k] !== undefined && d[k] !== null && (typeof d[k] !== 'string' || Number.isNaN(Date.parse(d[k] as string))))
      problems.push(`${k} must be an ISO-8601 date or null`);
  for (const k of ['durationSeconds', 'cost'] as const)
    if (d[k] !== undefined && (typeof d[k] !== 'number' || !Number.isFinite(d[k]) || (d[k] as number) < 0)) problems.push(`${k} must be a non-negative number`);
  if (problems.length) return { ok: false, problems };
  return { ok: true, job: d as unknown as CallEventJob };
}
