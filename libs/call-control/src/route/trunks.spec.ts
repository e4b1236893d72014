import {
  callerIdOf,
  didCandidates,
  failsOver,
  trunkAddress,
  trunkAttempts,
  trunksFromSource,
  type TrunkInfo,
} from './trunks';

const trunk = (id: string, over: Partial<TrunkInfo> = {}): TrunkInfo => ({
  id,
  tenantId: 't1',
  name: `trunk-${id}`,
  host: `${id}.carrier.example`,
  port: 5060,
  transport: 'udp',
  authUsername: 'acct',
  inboundCidrs: [],
  maxChannels: null,
  status: 'active',
  ...over,
});

describe('trunkAttempts', () => {
  const trunks = [
    trunk('a'),
    trunk('b'),
    trunk('c', { status: 'disabled' }),
    trunk('d', { transport: 'tls', port: 5061 }),
  ];

  it('orders by longest prefix, then priority, and skips disabled and unknown trunks', () => {
    const routes = [
      { id: 'r-all', prefix: '', priority: 1, trunkId: 'a' },
      { id: 'r-uk-2', prefix: '+44', priority: 20, trunkId: 'b' },
      { id: 'r-uk-1', prefix: '44', priority: 10, trunkId: 'c' },
      { id: 'r-uk-mob', prefix: '+447', priority: 5, trunkId: 'zz' },
    ];
    expect(trunkAttempts(routes, trunks, '+447700900123').map((a) => a.routeId)).toEqual(['r-uk-2', 'r-all']);
    expect(trunkAttempts(routes, trunks, '+33142685300').map((a) => a.trunkId)).toEqual(['a']);
  });

  it('tries a trunk once even when two routes lead to it', () => {
    const routes = [
      { id: 'r1', prefix: '+1', priority: 1, trunkId: 'a' },
      { id: 'r2', prefix: '', priority: 1, trunkId: 'a' },
      { id: 'r3', prefix: '', priority: 2, trunkId: 'b' },
    ];
    expect(trunkAttempts(routes, trunks, '+12025550100').map((a) => a.trunkId)).toEqual(['a', 'b']);
  });

  it('returns nothing when no route matches', () => {
    expect(
      trunkAttempts([{ id: 'r', prefix: '+49', priority: 1, trunkId: 'a' }], trunks, '+33142685300'),
    ).toEqual([]);
  });

  it('addresses the trunk with the E.164 number and its transport', () => {
    const [a] = trunkAttempts([{ id: 'r', prefix: '', priority: 1, trunkId: 'd' }], trunks, '+33142685300');
    expect(a).toMatchObject({
      uri: 'sips:+33142685300@d.carrier.example:5061',
      proxy: 'sip:d.carrier.example:5061;transport=tls',
    });
    expect(trunkAddress({ host: '::1', port: 5070, transport: 'tcp' }, '+1').proxy).toBe(
      'sip:[::1]:5070;transport=tcp',
    );
  });
});

describe('failsOver', () => {
  it.each([408, 500, 502, 503, 504, 401, 407])('moves on after %i', (s) => expect(failsOver(s)).toBe(true));
  it.each([404, 486, 480, 484, 487, 603, 403])('hands %i back to the caller', (s) =>
    expect(failsOver(s)).toBe(false),
  );
});

describe('callerIdOf', () => {
  it("presents the extension's first DID, else its number", () => {
    expect(callerIdOf(['+442079460018', '+442079460019'], '201', 'alice')).toBe('+442079460018');
    expect(callerIdOf([], '201', 'alice')).toBe('201');
    expect(callerIdOf([], undefined, 'alice')).toBe('alice');
  });
});

describe('trunksFromSource', () => {
  const trunks = [
    trunk('a', { inboundCidrs: ['192.0.2.0/24'] }),
    trunk('b', { inboundCidrs: ['198.51.100.7', '2001:db8::/32'] }),
    trunk('c', { inboundCidrs: ['192.0.2.0/24'], status: 'disabled' }),
  ];
  it('finds active trunks whose CIDRs hold the address', () => {
    expect(trunksFromSource(trunks, '192.0.2.9').map((t) => t.id)).toEqual(['a']);
    expect(trunksFromSource(trunks, '198.51.100.7').map((t) => t.id)).toEqual(['b']);
    expect(trunksFromSource(trunks, '[2001:db8::5]').map((t) => t.id)).toEqual(['b']);
    expect(trunksFromSource(trunks, '198.51.100.8')).toEqual([]);
    expect(trunksFromSource(trunks, 'not-an-ip')).toEqual([]);
  });
});

describe('didCandidates', () => {
  it('reads the Request-URI user, then To, as E.164', () => {
    expect(didCandidates('+442079460018', '+442079460019')).toEqual(['+442079460018', '+442079460019']);
    expect(didCandidates('00442079460018;npdi', undefined)).toEqual(['+442079460018']);
    expect(didCandidates('442079460018', '+442079460018')).toEqual(['+442079460018']);
    expect(didCandidates('s', '12025550100')).toEqual(['+12025550100']);
    expect(didCandidates('alice', '201')).toEqual([]);
  });
});
