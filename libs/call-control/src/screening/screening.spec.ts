import { banDurationMs, decideOnFailure, DEFAULT_BAN_POLICY as P } from './ban-policy';
import { scannerSignature } from './scanner';

describe('scannerSignature', () => {
  it.each([
    [{ userAgent: 'friendly-scanner' }, 'user-agent:friendly-scanner'],
    [{ userAgent: 'sipcli/v1.8' }, 'user-agent:sipcli'],
    [{ userAgent: 'VaxSIPUserAgent/3.1' }, 'user-agent:vaxsipuseragent'],
    [{ userAgent: 'Asterisk PBX', from: '"sipvicious"<sip:100@1.1.1.1>;tag=1' }, 'from:sipvicious'],
  ])('recognises %j', (r, sig) => expect(scannerSignature(r)).toBe(sig));

  it.each([{ userAgent: 'Zoiper rv2.10' }, { userAgent: 'Yealink SIP-T46S' }, { from: '"Scanner desk" <sip:1001@acme>' }, {}])(
    'lets %j through',
    (r) => expect(scannerSignature(r)).toBeNull(),
  );
});

describe('decideOnFailure', () => {
  it('bans a stranger at the threshold and never locks a device for a stranger', () => {
    expect(decideOnFailure(P, { ip: P.ipFailures - 1, device: 99, ipHasLiveRegistration: false })).toEqual({ kind: 'none' });
    expect(decideOnFailure(P, { ip: P.ipFailures, ipHasLiveRegistration: false })).toEqual({ kind: 'ban-ip' });
  });

  it('never bans an address holding live registrations; locks the device guessed from there', () => {
    expect(decideOnFailure(P, { ip: 1000, ipHasLiveRegistration: true })).toEqual({ kind: 'none' });
    expect(decideOnFailure(P, { ip: 1000, device: P.deviceFailures, ipHasLiveRegistration: true })).toEqual({ kind: 'lock-device' });
    expect(decideOnFailure(P, { ip: 1000, device: P.deviceFailures - 1, ipHasLiveRegistration: true })).toEqual({ kind: 'none' });
  });
});

describe('banDurationMs', () => {
  it('grows fourfold per repeat offence up to the cap', () => {
    expect([1, 2, 3].map((n) => banDurationMs(P, n))).toEqual([P.baseBanMs, P.baseBanMs * 4, P.baseBanMs * 16]);
    expect(banDurationMs(P, 40)).toBe(P.maxBanMs);
    expect(banDurationMs(P, 0)).toBe(P.baseBanMs);
  });
});
