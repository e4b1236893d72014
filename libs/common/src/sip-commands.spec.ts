import { parseSipCommand } from './sip-commands';

const tenantId = '7f1c2a9e-1b2c-4d3e-8f90-123456789abc';
const deviceId = '0b1c2a9e-1b2c-4d3e-8f90-123456789abc';

describe('parseSipCommand', () => {
  it('reads a hangup and a device hangup', () => {
    expect(parseSipCommand(JSON.stringify({ op: 'hangup', tenantId, callId: 'a@b', requestedBy: 'u1' }))).toEqual({
      op: 'hangup',
      tenantId,
      callId: 'a@b',
      requestedBy: 'u1',
      reason: undefined,
    });
    expect(parseSipCommand(JSON.stringify({ op: 'hangup-device', tenantId, deviceId, requestedBy: 'fraud:1', reason: 'x'.repeat(500) }))).toEqual({
      op: 'hangup-device',
      tenantId,
      deviceId,
      requestedBy: 'fraud:1',
      reason: 'x'.repeat(120),
    });
  });

  it.each([
    ['not json', '{'],
    ['unknown op', JSON.stringify({ op: 'reboot', tenantId, requestedBy: 'u' })],
    ['bad tenant', JSON.stringify({ op: 'hangup', tenantId: 'x', callId: 'a', requestedBy: 'u' })],
    ['no call id', JSON.stringify({ op: 'hangup', tenantId, requestedBy: 'u' })],
    ['bad device id', JSON.stringify({ op: 'hangup-device', tenantId, deviceId: 'nope', requestedBy: 'u' })],
    ['no requester', JSON.stringify({ op: 'hangup', tenantId, callId: 'a' })],
  ])('ignores %s', (_what, raw) => {
    expect(parseSipCommand(raw)).toBeNull();
  });
});
