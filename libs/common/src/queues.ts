import { isUuid } from './ids';

/**
 * Queue names and job payloads shared by producers (the SIP app) and consumers (the worker),
 * so the two cannot drift apart. Payloads carry ids, not personal data.
 */
export const QUEUES = { callEvents: 'call-events' } as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const CALL_EVENT_TYPES = ['call.started', 'call.answered', 'call.ended'] as const;
export type CallEventType = (typeof CALL_EVENT_TYPES)[number];

export interface CallEventJob {
  type: CallEventType;
  tenantId: string;
  /** SIP Call-ID of the leg the event belongs to. */
  callId: string;
  /** ISO-8601 instant at which the SIP app saw the event. */
  occurredAt: string;
}


/** Returns the payload typed when it is a well-formed CallEventJob, or the reasons it is not. */
export function parseCallEventJob(data: unknown): { ok: true; job: CallEventJob } | { ok: false; problems: string[] } {
  if (typeof data !== 'object' || data === null) return { ok: false, problems: ['payload must be an object'] };
  const d = data as Record<string, unknown>;
  const problems: string[] = [];
  if (!(CALL_EVENT_TYPES as readonly unknown[]).includes(d.type)) problems.push(`type must be one of ${CALL_EVENT_TYPES.join(', ')}`);
  if (typeof d.tenantId !== 'string' || !isUuid(d.tenantId)) problems.push('tenantId must be a UUID');
  if (typeof d.callId !== 'string' || d.callId.length === 0 || d.callId.length > 256) problems.push('callId must be 1-256 characters');
  if (typeof d.occurredAt !== 'string' || Number.isNaN(Date.parse(d.occurredAt))) problems.push('occurredAt must be an ISO-8601 date');
  if (problems.length) return { ok: false, problems };
  return { ok: true, job: { type: d.type as CallEventType, tenantId: d.tenantId as string, callId: d.callId as string, occurredAt: d.occurredAt as string } };
}
