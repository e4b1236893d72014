import { computeDigestResponse, computeHa1 } from '@pbx/common';
import { DigestAuthenticator } from '../digest/digest-authenticator';
import { NonceCodec } from '../digest/nonce';
import { DEFAULT_BAN_POLICY } from '../screening/ban-policy';
import type { Binding, RegisterOutcome } from './bindings';
import type { AccountDirectory, DeviceAccount, Enforcer, FailureCounter, LocationStore, NcStore } from './register.ports';
import { RegisterUseCase, type RegisterCommand } from './register.use-case';

const REALM = 'acme.pbx';
const device: DeviceAccount = {
  id: 'd1',
  tenantId: 't1',
  extensionId: 'e1',
  username: '1001',
  status: 'active',
  transports: ['tls'],
  allowedCidrs: [],
  rules: { cidrAllow: [], countryAllow: [], countryDeny: [] },
  algorithms: ['SHA-256', 'MD5'],
  ha1: { MD5: computeHa1('MD5', '1001', REALM, 'pw'), 'SHA-256': computeHa1('SHA-256', '1001', REALM, 'pw') },
  maxRegistrations: 3,
};

function world() {
  const calls: string[] = [];
  const bindings = new Map<string, Binding>();
  const directory: AccountDirectory = {
    tenantByRealm: async (r) => (r === REALM ? { id: 't1', realm: REALM, status: 'active', rules: device.rules } : null),
    device: async (_t, u) => (u === '1001' ? device : null),
    extension: async () => null,
    isBannedInTenant: async () => false,
  };
  const locations: LocationStore = {
    bindings: async () => (calls.push('bindings'), [...bindings.values()]),
    apply: async (_t, _d, c: Extract<RegisterOutcome, { kind: 'apply' }>) => {
      for (const k of c.removals) bindings.delete(k);
      for (const b of c.upserts) bindings.set(b.key, b);
    },
    ipHasLiveRegistration: async () => (calls.push('ipHasLiveRegistration'), false),
  };
  const seen = new Map<string, number>();
  const ncs: NcStore = {
    accept: async (n, nc) => (nc > (seen.get(n) ?? 0) ? (seen.set(n, nc), true) : false),
  };
  const failures: FailureCounter = { record: async (_ip, dev) => (calls.push(`record:${dev ?? '-'}`), { ip: 1 }) };
  const enforcer: Enforcer = {
    banIp: async () => null,
    lockDevice: async () => undefined,
    noteRegistrationCountry: async (_d, c) => void calls.push(`country:${c}`),
  };
  const nonces = new NonceCodec('secret-of-the-test', 60_000);
  const digest = new DigestAuthenticator(nonces, ncs, failures, locations, enforcer, DEFAULT_BAN_POLICY);
  const uc = new RegisterUseCase(directory, locations, digest, enforcer, { expires: { min: 60, max: 3600, default: 600 } });
  return { uc, calls, bindings, nonces };
}

const cmd = (extra: Partial<RegisterCommand> = {}): RegisterCommand => ({
  requestUri: `sip:${REALM}`,
  to: `<sip:1001@${REALM}>`,
  from: `<sip:1001@${REALM}>;tag=1`,
  callId: 'c1',
  cseq: 1,
  contact: '<sip:1001@198.51.100.5:5061;transport=tls>',
  path: [],
  supported: [],
  sourceIp: '198.51.100.5',
  sourcePort: 5061,
  transport: 'tls',
  edge: 'edge-1:5061',
  now: 1_700_000_000_000,
  ...extra,
});

function auth(nonce: string, user = '1001', password = 'pw', nc = '00000001') {
  const ha1 = computeHa1('SHA-256', user, REALM, password);
  const response = computeDigestResponse({ algorithm: 'SHA-256', ha1, method: 'REGISTER', uri: `sip:${REALM}`, nonce, qop: 'auth', nc, cnonce: 'cn' });
  return `Digest username="${user}", realm="${REALM}", nonce="${nonce}", uri="sip:${REALM}", response="${response}", algorithm=SHA-256, qop=auth, nc=${nc}, cnonce="cn"`;
}

describe('RegisterUseCase', () => {
  it('does the same work for an unknown user as for a wrong password', async () => {
    const w = world();
    const nonce = w.nonces.issue('198.51.100.5', REALM, cmd().now);
    const wrong = await w.uc.execute(cmd({ authorization: auth(nonce, '1001', 'nope') }));
    const unknownCalls = w.calls.splice(0);
    const unknown = await w.uc.execute(cmd({ to: `<sip:1002@${REALM}>`, authorization: auth(nonce, '1002', 'pw') }));
    expect([wrong.status, wrong.reason]).toEqual([unknown.status, unknown.reason]);
    expect(w.calls.map((c) => c.replace(/:d1$|:-$/, ''))).toEqual(unknownCalls.map((c) => c.replace(/:d1$|:-$/, '')));
  });

  it('binds with Path and outbound, echoing instance and reg-id, and notes the source country', async () => {
    const w = world();
    const nonce = w.nonces.issue('198.51.100.5', REALM, cmd().now);
    const r = await w.uc.execute(
      cmd({
        authorization: auth(nonce),
        contact: '<sip:1001@198.51.100.5:5061;transport=tls>;+sip.instance="<urn:uuid:1>";reg-id=1',
        path: ['<sip:edge-a;lr>'],
        supported: ['path', 'outbound'],
        sourceCountry: 'FR',
      }),
    );
    expect(r.status).toBe(200);
    expect(r.headers).toEqual({
      Path: '<sip:edge-a;lr>',
      Require: 'outbound',
      Contact: '<sip:1001@198.51.100.5:5061;transport=tls>;expires=600;+sip.instance="<urn:uuid:1>";reg-id=1',
    });
    expect([...w.bindings.values()][0]).toMatchObject({ path: ['<sip:edge-a;lr>'], edge: 'edge-1:5061', transport: 'tls' });
    expect(w.calls).toContain('country:FR');
  });

  it('answers a query (no Contact) with the current bindings and changes nothing', async () => {
    const w = world();
    const nonce = w.nonces.issue('198.51.100.5', REALM, cmd().now);
    await w.uc.execute(cmd({ authorization: auth(nonce) }));
    const q = await w.uc.execute(cmd({ contact: undefined, cseq: 2, authorization: auth(nonce, '1001', 'pw', '00000002') }));
    expect([q.status, q.outcome, q.headers.Contact]).toEqual([200, 'queried', '<sip:1001@198.51.100.5:5061;transport=tls>;expires=600']);
  });

  it('reads the bindings only once the digest verified, with the nc check, and answers a replay with a challenge', async () => {
    const w = world();
    const nonce = w.nonces.issue('198.51.100.5', REALM, cmd().now);
    expect((await w.uc.execute(cmd())).status).toBe(401);
    expect((await w.uc.execute(cmd({ authorization: auth(nonce, '1001', 'nope') }))).status).toBe(403);
    expect(w.calls).not.toContain('bindings');
    expect((await w.uc.execute(cmd({ authorization: auth(nonce) }))).status).toBe(200);
    expect(w.calls.filter((c) => c === 'bindings')).toHaveLength(1);
    const replay = await w.uc.execute(cmd({ cseq: 2, authorization: auth(nonce) }));
    expect([replay.status, replay.outcome]).toEqual([401, 'replayed']);
    expect(w.bindings.size).toBe(1);
  });

  it('refuses a To that is not a SIP address, and an unreadable Expires', async () => {
    const w = world();
    expect((await w.uc.execute(cmd({ to: 'garbage' }))).status).toBe(400);
    const nonce = w.nonces.issue('198.51.100.5', REALM, cmd().now);
    const r = await w.uc.execute(cmd({ authorization: auth(nonce), expires: 'soon' }));
    expect([r.status, r.reason]).toEqual([400, 'Invalid Expires header']);
  });
});
