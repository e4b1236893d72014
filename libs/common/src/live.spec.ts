import { parseLiveCall, parseLiveRegistration } from './live';

describe('live state parsing', () => {
  const reg = {
    contact: 'sip:1001@198.51.100.7',
    source_ip: '198.51.100.7',
    transport: 'udp',
    user_agent: 'X',
    expires_at: '2026-01-01T00:00:00.000Z',
  };

  it('reads back a registration, defaulting a missing user agent to null', () => {
    expect(parseLiveRegistration(JSON.stringify(reg))).toEqual(reg);
    const { user_agent: _ua, ...noUa } = reg;
    expect(parseLiveRegistration(JSON.stringify(noUa))).toEqual({ ...reg, user_agent: null });
  });

  it('refuses registrations that are not one', () => {
    expect(parseLiveRegistration('{')).toBeNull();
    expect(parseLiveRegistration('[]')).toBeNull();
    expect(parseLiveRegistration(JSON.stringify({ ...reg, expires_at: 'soon' }))).toBeNull();
    expect(parseLiveRegistration(JSON.stringify({ ...reg, contact: 5 }))).toBeNull();
  });

  it('reads back a call and refuses unknown states or directions', () => {
    const call = {
      call_id: 'c1',
      direction: 'outbound',
      state: 'ringing',
      device_id: 'd',
      extension_id: null,
      trunk_id: null,
      from_number: '1001',
      to_number: '+442079460000',
      source_ip: null,
      started_at: '2026-01-01T00:00:00.000Z',
      answered_at: null,
    };
    expect(parseLiveCall(JSON.stringify(call))).toEqual(call);
    expect(parseLiveCall(JSON.stringify({ ...call, state: 'held' }))).toBeNull();
    expect(parseLiveCall(JSON.stringify({ ...call, direction: 'up' }))).toBeNull();
    expect(parseLiveCall('null')).toBeNull();
  });
});
