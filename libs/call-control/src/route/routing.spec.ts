import type { DigestAuthenticator } from '../digest/digest-authenticator';
import { PlaceCallUseCase, type InviteCommand } from '../call/place-call.use-case';
import type { Binding } from '../register/bindings';
import type { AccountDirectory, DeviceAccount, LocationStore } from '../register/register.ports';
import type { TrunkDirectory, TrunkInfo } from './trunks';

// The routing steps of PlaceCallUseCase over in-memory ports: authentication is taken as passed.
const REALM = 'acme.pbx';
const alice: DeviceAccount = {
  id: 'dev-alice',
  tenantId: 't1',
  extensionId: 'ext-alice',
  username: 'alice',
  status: 'active',
  transports: ['udp'],
  allowedCidrs: [],
  rules: { cidrAllow: [], countryAllow: [], countryDeny: [] },
  algorithms: ['MD5'],
  ha1: { MD5: '', 'SHA-256': '' },
  maxRegistrations: 3,
};
const trunk = (id: string, over: Partial<TrunkInfo> = {}): TrunkInfo => ({
  id,
  tenantId: 't1',
  name: id,
  host: `${id}.carrier.example`,
  port: 5060,
  transport: 'udp',
  authUsername: 'acct',
  inboundCidrs: ['192.0.2.0/24'],
  maxChannels: null,
  status: 'active',
  ...over,
});
const binding = (deviceId: string): Binding =>
  ({
    key: deviceId,
    contact: `sip:${deviceId}@198.51.100.9:5070`,
    sourceIp: '198.51.100.9',
    sourcePort: 5070,
    transport: 'udp',
    expiresAt: Number.MAX_SAFE_INTEGER,
  }) as unknown as Binding;

function world() {
  const directory: AccountDirectory = {
    tenantByRealm: async (r) =>
      r === REALM
        ? {
            id: 't1',
            realm: REALM,
            status: 'active',
            rules: alice.rules,
            defaultCountry: 'GB',
            media: { srtpRequired: false, codecs: [] },
          }
        : null,
    tenantById: async (id) =>
      id === 't1' ? { id: 't1', realm: REALM, status: 'active', rules: alice.rules } : null,
    device: async (_t, u) => (u === 'alice' ? alice : null),
    extension: async (_t, n) =>
      n === '1002' ? { id: 'ext-bob', number: '1002', deviceIds: ['dev-bob'] } : null,
    isBannedInTenant: async () => false,
  };
  const locations: LocationStore = {
    bindings: async (_t, d) => (d === 'dev-bob' ? [binding('dev-bob')] : []),
    apply: async () => undefined,
    ipHasLiveRegistration: async () => false,
  };
  const trunks: TrunkDirectory = {
    outboundRoutes: async () => [
      { id: 'r-uk', prefix: '+44', priority: 1, trunkId: 'a' },
      { id: 'r-uk-2', prefix: '+44', priority: 2, trunkId: 'b' },
    ],
    trunks: async () => [trunk('a'), trunk('b')],
    trunksBySource: async (ip) => (ip.startsWith('192.0.2.') ? [trunk('a')] : []),
    did: async (n) =>
      n === '+442079460018'
        ? { tenantId: 't1', trunkId: 'a', extensionId: 'ext-bob', extensionNumber: '1002' }
        : null,
    callerId: async () => '+442079460099',
  };
  const digest = { authenticate: async () => ({ kind: 'ok' }) } as unknown as DigestAuthenticator;
  return new PlaceCallUseCase(directory, locations, digest, trunks);
}

const invite = (to: string, extra: Partial<InviteCommand> = {}): InviteCommand => ({
  requestUri: `sip:${to}@${REALM}`,
  from: `<sip:alice@${REALM}>;tag=1`,
  callId: 'c1',
  sourceIp: '198.51.100.5',
  transport: 'udp',
  sdp: 'v=0\r\no=- 1 1 IN IP4 198.51.100.5\r\ns=-\r\nc=IN IP4 198.51.100.5\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n',
  now: 1_700_000_000_000,
  ...extra,
});

describe('PlaceCallUseCase routing', () => {
  it('routes an extension to its registered phones (internal)', async () => {
    const d = await world().execute(invite('1002'));
    expect(d.kind === 'call' && d.plan).toMatchObject({
      direction: 'internal',
      target: { kind: 'extension', number: '1002' },
    });
  });

  it('routes a national number out through the trunks of its routes, in order, with the caller ID', async () => {
    const d = await world().execute(invite('02079460321'));
    expect(d.kind).toBe('call');
    if (d.kind !== 'call' || d.plan.target.kind !== 'trunk') throw new Error('no trunk plan');
    expect(d.plan.direction).toBe('outbound');
    expect(d.plan.caller).toMatchObject({ deviceId: 'dev-alice', number: '+442079460099' });
    expect(d.plan.target).toMatchObject({ e164: '+442079460321', country: 'GB' });
    expect(d.plan.target.attempts.map((a) => [a.trunkId, a.uri])).toEqual([
      ['a', 'sip:+442079460321@a.carrier.example:5060'],
      ['b', 'sip:+442079460321@b.carrier.example:5060'],
    ]);
  });

  it('refuses a number no route covers with 404 and a Warning, and an incomplete one with 484', async () => {
    const none = await world().execute(invite('+33142685300'));
    expect(none.kind === 'reply' && [none.reply.status, none.reply.headers.Warning]).toEqual([
      404,
      '399 pbx "no outbound route for +33142685300"',
    ]);
    const short = await world().execute(invite('02079'));
    expect(short.kind === 'reply' && short.reply.status).toBe(484);
  });

  it("sends a carrier's INVITE to the DID's extension without a challenge, the DID read from To when the Request-URI lacks it", async () => {
    const d = await world().execute(
      invite('acct', {
        sourceIp: '192.0.2.10',
        from: '<sip:+33142685300@192.0.2.10>;tag=9',
        to: '<sip:+442079460018@pbx>',
      }),
    );
    expect(d.kind === 'call' && d.plan).toMatchObject({
      direction: 'inbound',
      dialed: '+442079460018',
      caller: { deviceId: null, username: '+33142685300', trunkId: 'a' },
      target: { kind: 'extension', number: '1002' },
    });
  });

  it("does not let a trunk's CIDR capture a phone's call: no DID and a From of a tenant's domain go the device way", async () => {
    const d = await world().execute(invite('1002', { sourceIp: '192.0.2.20' }));
    expect(d.kind === 'call' && d.plan).toMatchObject({
      direction: 'internal',
      caller: { deviceId: 'dev-alice' },
    });
  });

  it("answers 404 to a carrier calling a number that is not one of the tenant's DIDs", async () => {
    const d = await world().execute(
      invite('+442079469999', { sourceIp: '192.0.2.10', from: '<sip:+33142685300@192.0.2.10>;tag=9' }),
    );
    expect(d.kind === 'reply' && d.reply.status).toBe(404);
  });
});
