import { parseCallEventJob } from './queues';

const base = {
  eventId: 't:c:call.ended',
  type: 'call.ended',
  tenantId: '7f1c2a9e-1b2c-4d3e-8f90-123456789abc',
  callId: 'abc@host',
  occurredAt: '2026-12-04T10:00:00.000Z',
};

describe('parseCallEventJob', () => {
  it('accepts a full call.ended event', () => {
    const r = parseCallEventJob({ ...base, deviceId: null, direction: 'outbound', toNumber: '+441234', remoteCountry: 'GB', durationSeconds: 12, cost: 0.4 });
    expect(r).toEqual({ ok: true, job: expect.objectContaining({ remoteCountry: 'GB', cost: 0.4 }) });
  });

  it('accepts device.registered without a call id', () => {
    expect(parseCallEventJob({ ...base, type: 'device.registered', callId: undefined }).ok).toBe(true);
  });

  it('names every bad field', () => {
    const r = parseCallEventJob({ ...base, eventId: '', callId: undefined, direction: 'sideways', remoteCountry: 'gbr', cost: -1, deviceId: 'x' });
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.problems).toEqual([
        'eventId must be 1-300 characters',
        'callId is required for call events',
        'deviceId must be a UUID or null',
        'direction must be one of internal, outbound, inbound',
        'remoteCountry must be an ISO 3166 alpha-2 code or null',
        'cost must be a non-negative number',
      ]);
  });
});
