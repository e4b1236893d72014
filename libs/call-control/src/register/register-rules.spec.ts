import { parseCidr, type Cidr } from '@pbx/policy';
import { admit, type AccountProfile } from './admission';
import { applyRegister, contactHeaderOf, type Binding, type RegisterChange } from './bindings';
import { parseAddress, parseContactHeader, splitHeaderList } from './contact-header';

describe('contact header', () => {
  it('splits on commas outside quotes and brackets', () => {
    expect(splitHeaderList('"a, b" <sip:x@h;p=1,2>, <sip:y@h>')).toEqual(['"a, b" <sip:x@h;p=1,2>', '<sip:y@h>']);
  });

  it('reads expires, +sip.instance and reg-id; without brackets parameters belong to the header', () => {
    expect(parseContactHeader('<sip:a@1.2.3.4:5060;transport=tls>;expires=60;+sip.instance="<urn:uuid:1>";reg-id=2, sip:b@h;expires=0')).toEqual({
      kind: 'list',
      contacts: [
        { uri: 'sip:a@1.2.3.4:5060;transport=tls', expires: 60, instanceId: '<urn:uuid:1>', regId: 2 },
        { uri: 'sip:b@h', expires: 0 },
      ],
    });
    expect(parseContactHeader(' * ')).toEqual({ kind: 'star' });
    expect(parseContactHeader(undefined)).toEqual({ kind: 'list', contacts: [] });
  });

  it.each(['<sip:a@h>;expires=soon', 'http://evil', '<sip:a@h', '*, <sip:a@h>', Array(21).fill('<sip:a@h>').join(',')])(
    'refuses %s',
    (v) => expect(parseContactHeader(v)).toBeNull(),
  );

  it('reads user and host from a From/To, ignoring a display name and a password', () => {
    expect(parseAddress('"sip:evil@x" <sip:1001:secret@Acme.PBX;transport=tls>;tag=1')).toEqual({ user: '1001', host: 'acme.pbx' });
    expect(parseAddress('sip:%31001@h')).toEqual({ user: '1001', host: 'h' });
    expect(parseAddress('<tel:+15551234>')).toBeNull();
  });
});

describe('applyRegister', () => {
  const now = 1_000_000;
  const origin = { path: [], sourceIp: '198.51.100.1', sourcePort: 5060, transport: 'udp', edge: 'edge:5060', userAgent: null };
  const base: Omit<RegisterChange, 'contacts'> = {
    existing: [],
    callId: 'c1',
    cseq: 1,
    now,
    limits: { min: 60, max: 3600, default: 600 },
    maxBindings: 2,
    origin,
  };
  const list = (v: string) => parseContactHeader(v)!;
  const binding = (key: string, registeredAt: number, extra: Partial<Binding> = {}): Binding => ({
    key,
    contact: key,
    expiresAt: now + 100_000,
    registeredAt,
    callId: 'old',
    cseq: 1,
    ...origin,
    ...extra,
  });

  it('binds with the header Expires, the contact expires or the default, clamped to the maximum', () => {
    const r = applyRegister({ ...base, contacts: list('<sip:a@h>, <sip:b@h>;expires=99999'), expiresHeader: 120 });
    expect(r.kind === 'apply' && r.upserts.map((b) => [b.key, b.expiresAt - now])).toEqual([
      ['sip:a@h', 120_000],
      ['sip:b@h', 3_600_000],
    ]);
    const d = applyRegister({ ...base, contacts: list('<sip:a@h>') });
    expect(d.kind === 'apply' && d.upserts[0].expiresAt - now).toBe(600_000);
  });

  it('answers 423 with Min-Expires below the minimum, but lets 0 unregister', () => {
    expect(applyRegister({ ...base, contacts: list('<sip:a@h>'), expiresHeader: 10 })).toEqual({
      kind: 'reject',
      status: 423,
      reason: 'Interval Too Brief',
      minExpires: 60,
    });
    const r = applyRegister({ ...base, existing: [binding('sip:a@h', now - 10)], contacts: list('<sip:a@h>'), expiresHeader: 0 });
    expect(r).toMatchObject({ kind: 'apply', upserts: [], removals: ['sip:a@h'], bindings: [] });
  });

  it('replaces the binding of the same instance and reg-id whatever its new contact (RFC 5626)', () => {
    const inst = '+sip.instance="<urn:uuid:9>";reg-id=1';
    const first = applyRegister({ ...base, contacts: list(`<sip:a@10.0.0.1>;${inst}`) });
    if (first.kind !== 'apply') throw new Error('rejected');
    const second = applyRegister({ ...base, existing: first.bindings, callId: 'c2', contacts: list(`<sip:a@10.0.0.2>;${inst}`) });
    expect(second.kind === 'apply' && second.bindings.map((b) => b.contact)).toEqual(['sip:a@10.0.0.2']);
    expect(second.kind === 'apply' && second.bindings[0].registeredAt).toBe(now);
  });

  it('evicts the oldest other bindings past the device limit, never the ones just registered', () => {
    const existing = [binding('sip:old@h', now - 500), binding('sip:older@h', now - 900)];
    const r = applyRegister({ ...base, existing, contacts: list('<sip:new@h>') });
    expect(r).toMatchObject({ kind: 'apply', evicted: ['sip:older@h'] });
    expect(r.kind === 'apply' && r.bindings.map((b) => b.key).sort()).toEqual(['sip:new@h', 'sip:old@h']);
  });

  it('ignores an older request of the same registration (RFC 3261 §10.3 step 7)', () => {
    const existing = [binding('sip:a@h', now - 10, { callId: 'c1', cseq: 5 })];
    const r = applyRegister({ ...base, existing, cseq: 4, contacts: list('<sip:a@h>'), expiresHeader: 0 });
    expect(r.kind === 'apply' && r.bindings.map((b) => b.key)).toEqual(['sip:a@h']);
  });

  it('removes everything for Contact: * with Expires: 0 and refuses it otherwise; drops expired bindings', () => {
    const existing = [binding('sip:a@h', 0), binding('sip:gone@h', 0, { expiresAt: now - 1 })];
    expect(applyRegister({ ...base, existing, contacts: { kind: 'star' }, expiresHeader: 0 })).toMatchObject({
      kind: 'apply',
      bindings: [],
    });
    expect(applyRegister({ ...base, existing, contacts: { kind: 'star' } })).toMatchObject({ kind: 'reject', status: 400 });
    const q = applyRegister({ ...base, existing, contacts: list('<sip:b@h>') });
    expect(q.kind === 'apply' && q.removals).toEqual(['sip:gone@h']);
  });

  it('lists each binding with its remaining life', () => {
    expect(contactHeaderOf([binding('sip:a@h', 0)], now)).toBe('<sip:a@h>;expires=100');
    expect(contactHeaderOf([], now)).toBeUndefined();
  });
});

describe('admit', () => {
  const cidr = (v: string) => parseCidr(v) as Cidr;
  const profile: AccountProfile = {
    status: 'active',
    transports: ['tls', 'wss'],
    allowedCidrs: [],
    rules: { cidrAllow: [], countryAllow: [], countryDeny: [] },
  };
  const req = { transport: 'TLS', sourceIp: '198.51.100.9', sourceCountry: 'FR' };

  it('admits an active device on an allowed transport', () => {
    expect(admit(profile, req)).toBeNull();
  });

  it('admits a device locked at level 1 or 2: the policy gate holds its calls to that level', () => {
    expect(admit({ ...profile, status: 'locked', lockLevel: 1 }, req)).toBeNull();
    expect(admit({ ...profile, status: 'locked', lockLevel: 2 }, req)).toBeNull();
    expect(admit({ ...profile, status: 'locked', lockLevel: 2, transports: ['wss'] }, req)?.reason).toBe('Transport not allowed');
  });

  it('admits a device locked at level 3 for an emergency call only; a suspended one not even then', () => {
    expect(admit({ ...profile, status: 'locked', lockLevel: 3 }, req, undefined, { emergency: true })).toBeNull();
    expect(admit({ ...profile, status: 'locked', lockLevel: 3 }, req, undefined, { emergency: false })?.reason).toBe('Account disabled');
    expect(admit({ ...profile, status: 'suspended' }, req, undefined, { emergency: true })?.reason).toBe('Account disabled');
  });

  it.each<[string, AccountProfile, string]>([
    ['a suspended device', { ...profile, status: 'suspended' }, 'Account disabled'],
    ['a device locked at level 3 (password guessing)', { ...profile, status: 'locked', lockLevel: 3 }, 'Account disabled'],
    ['a locked device whose level is not known', { ...profile, status: 'locked' }, 'Account disabled'],
    ['a disallowed transport', { ...profile, transports: ['wss'] }, 'Transport not allowed'],
    ['a source outside allowed_cidrs', { ...profile, allowedCidrs: [cidr('10.0.0.0/8')] }, 'Source address not allowed'],
    ['a denied country', { ...profile, rules: { ...profile.rules, countryDeny: ['FR'] } }, 'Source country not allowed'],
    ['a country not allowed', { ...profile, rules: { ...profile.rules, countryAllow: ['DE'] } }, 'Source country not allowed'],
  ])('refuses %s', (_what, p, reason) => {
    expect(admit(p, req)?.reason).toBe(reason);
  });

  it('applies the tenant rules too, and an unknown country fails a country_allow rule', () => {
    const tenant = { cidrAllow: [], countryAllow: ['FR'], countryDeny: [] };
    expect(admit(profile, req, tenant)).toBeNull();
    expect(admit(profile, { ...req, sourceCountry: undefined }, tenant)?.reason).toBe('Source country not allowed');
    expect(admit(profile, req, { ...tenant, cidrAllow: [cidr('203.0.113.0/24')] })?.reason).toBe('Source address not allowed');
  });
});
