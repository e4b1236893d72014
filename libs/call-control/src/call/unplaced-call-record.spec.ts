import { unplacedCallRecord } from './call-record';

describe('unplacedCallRecord', () => {
  const base = {
    tenantId: 't1',
    caller: { deviceId: 'd1', extensionId: 'e1', username: 'alice' },
    direction: 'outbound' as const,
    toNumber: '+4930123456',
    destinationCountry: 'DE',
    sourceIp: '198.51.100.5',
  };

  it('records a call that found no route as failed, at one instant, costing nothing', () => {
    const row = unplacedCallRecord(
      { ...base, status: 404, why: 'no outbound route for +4930123456' },
      'c1',
      1_700_000_000_000,
    );
    expect(row).toMatchObject({
      tenantId: 't1',
      callId: 'c1',
      direction: 'outbound',
      deviceId: 'd1',
      trunkId: null,
      fromNumber: 'alice',
      toNumber: '+4930123456',
      destinationCountry: 'DE',
      disposition: 'failed',
      durationSeconds: 0,
      billableSeconds: 0,
      cost: 0,
      hangupCause: '404 no outbound route for +4930123456',
    });
    expect(row.startedAt).toEqual(row.endedAt);
  });

  it('calls an extension with no phone registered unanswered', () => {
    const row = unplacedCallRecord(
      {
        ...base,
        direction: 'internal',
        toNumber: '1002',
        destinationCountry: null,
        status: 480,
        why: 'no phone',
      },
      'c2',
      0,
    );
    expect(row.disposition).toBe('no_answer');
  });
});
