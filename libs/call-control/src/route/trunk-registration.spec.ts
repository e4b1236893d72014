import { grantedSeconds, refreshDelayMs, retryDelayMs, upstreamRegister } from './trunk-registration';

describe('upstreamRegister', () => {
  const trunk = {
    host: 'sip.carrier.example',
    port: 5060,
    transport: 'udp' as const,
    authUsername: 'acct 1',
    registerExpires: 600,
  };

  it("registers the auth username at the carrier, with our address for the trunk's transport as Contact", () => {
    expect(upstreamRegister(trunk, 'udp/203.0.113.5:5060,tcp/203.0.113.5:5060')).toEqual({
      uri: 'sip:sip.carrier.example:5060',
      proxy: 'sip:sip.carrier.example:5060;transport=udp',
      aor: 'sip:acct%201@sip.carrier.example',
      contact: '<sip:acct%201@203.0.113.5:5060>',
      expires: 600,
    });
    expect(
      upstreamRegister(
        { ...trunk, transport: 'tls', port: 5061 },
        'udp/203.0.113.5:5060,tls/203.0.113.5:5061',
      ),
    ).toMatchObject({
      uri: 'sips:sip.carrier.example:5061',
      contact: '<sip:acct%201@203.0.113.5:5061;transport=tls>',
    });
  });

  it('falls back to the first local address, and needs a username and an address', () => {
    expect(upstreamRegister({ ...trunk, transport: 'tcp' }, 'udp/10.0.0.1:5060')?.contact).toBe(
      '<sip:acct%201@10.0.0.1:5060>',
    );
    expect(upstreamRegister({ ...trunk, authUsername: null }, 'udp/10.0.0.1:5060')).toBeNull();
    expect(upstreamRegister(trunk, '')).toBeNull();
  });
});

describe('registration timing', () => {
  it('reads the granted lifetime from the Contact, then Expires, then what was asked', () => {
    expect(grantedSeconds('<sip:a@h>;expires=120', '3600', 600)).toBe(120);
    expect(grantedSeconds('<sip:a@h>', '300', 600)).toBe(300);
    expect(grantedSeconds(undefined, undefined, 600)).toBe(600);
    expect(grantedSeconds(undefined, 'soon', 600)).toBe(600);
  });

  it('refreshes at 80 % of the lifetime, at most every 20 s', () => {
    expect(refreshDelayMs(600)).toBe(480_000);
    expect(refreshDelayMs(10)).toBe(20_000);
  });

  it('backs off exponentially to 5 minutes with jitter', () => {
    expect(retryDelayMs(1, 0.5)).toBe(5_000);
    expect(retryDelayMs(2, 0.5)).toBe(10_000);
    expect(retryDelayMs(20, 0.5)).toBe(300_000);
    expect(retryDelayMs(1, 0)).toBe(4_000);
    expect(retryDelayMs(1, 1)).toBe(6_000);
  });
});
