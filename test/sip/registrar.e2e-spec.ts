import type { DataSource } from 'typeorm';
import type Redis from 'ioredis';
import { createRedis, parseLiveRegistration, RedisKeys } from '../../libs/common/src';
import { NonceCodec } from '../../libs/call-control/src';
import { createTenant, dropTenant, type TestTenant } from './helpers/accounts';
import { openDb, startPbx, type PbxUnderTest } from './helpers/pbx-harness';
import { authorization, challengesOf, RegisterClient, type ClientTransport } from './helpers/register-client';
import { makeTestCert } from '../sip-edge/helpers/tls-cert';

describe('sip registrar: digest against the database, bindings in Redis', () => {
  let pbx: PbxUnderTest;
  let db: DataSource;
  let redis: Redis;
  let tenant: TestTenant;
  const clients: RegisterClient[] = [];

  const client = async (address = '127.0.0.1', transport: ClientTransport = 'udp') => {
    const c = await RegisterClient.open({ host: pbx.host, port: pbx.port(transport) }, address, transport);
    clients.push(c);
    return c;
  };
  const creds = (i: number) => ({ username: tenant.devices[i].username, password: tenant.devices[i].password, realm: tenant.realm });
  const bindings = async (i: number) =>
    Object.values(await redis.hgetall(RedisKeys.deviceRegistrations(tenant.id, tenant.devices[i].id))).map((v) => parseLiveRegistration(v));

  beforeAll(async () => {
    db = await openDb();
    redis = createRedis(process.env.REDIS_URL as string, 'sip-registrar-test');
    tenant = await createTenant(db, [
      { username: 'alice' },
      { username: 'bob', algorithms: ['MD5'] },
      { username: 'carol', transports: ['tls', 'wss'] },
      { username: 'dave', maxRegistrations: 2 },
      { username: 'erin', transports: ['tls', 'wss'] },
    ]);
    const cert = makeTestCert();
    pbx = await startPbx({
      contacts: ['sip:127.0.0.1:0;transport=udp', 'sip:127.0.0.1:0;transport=tcp', 'sips:127.0.0.1:0;transport=tls'],
      tls: { keyFile: cert.keyFile, certFile: cert.certFile, verifyOutbound: false },
    });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await pbx?.close();
    await dropTenant(db, tenant.id);
    await db.destroy();
    await redis.quit();
  });

  it('challenges with SHA-256 then MD5, qop=auth, and registers with either', async () => {
    const ua = await client();
    const sha = await ua.login(creds(0), { algorithm: 'SHA-256' });
    expect(sha.first?.status).toBe(401);
    expect(challengesOf(sha.first!).map((c) => c.algorithm)).toEqual(['SHA-256', 'MD5']);
    expect(sha.first!.headers('WWW-Authenticate')[0]).toMatch(/qop="auth"/);
    expect(sha.final?.status).toBe(200);
    expect(sha.final!.headers('Contact').join(',')).toMatch(new RegExp(`<sip:alice@127.0.0.1:${ua.port}>;expires=\\d+`));

    const md5 = await (await client()).login(creds(0), { algorithm: 'MD5' });
    expect(md5.final?.status).toBe(200);
    const regs = await bindings(0);
    expect(regs).toHaveLength(2);
    expect(regs[0]).toMatchObject({ transport: 'udp', source_ip: '127.0.0.1' });
    expect(regs[0]?.edge).toBeTruthy();
  });

  it('challenges a device with only the algorithms it allows', async () => {
    const r = await (await client()).login(creds(1), { algorithm: 'MD5' });
    expect(challengesOf(r.first!).map((c) => c.algorithm)).toEqual(['MD5']);
    expect(r.final?.status).toBe(200);
  });

  it('registers over TCP and TLS, recording the transport and connection', async () => {
    for (const transport of ['tcp', 'tls'] as const) {
      const ua = await client('127.0.0.1', transport);
      const r = await ua.login(creds(4 - (transport === 'tcp' ? 4 : 0)));
      expect(r.final?.status).toBe(200);
    }
    const erin = (await bindings(4))[0];
    expect(erin).toMatchObject({ transport: 'tls', source_ip: '127.0.0.1' });
    expect(erin?.source_port).toBeGreaterThan(0);
  });

  it('answers a wrong password exactly like an unknown user (default device profile, TLS)', async () => {
    const ua = await client('127.0.0.1', 'tls');
    const wrong = await ua.login({ ...creds(4), password: 'not-the-password' });
    const unknown = await ua.login({ username: 'nobody', password: 'whatever', realm: tenant.realm });
    expect(wrong.first?.status).toBe(401);
    expect(unknown.first?.status).toBe(401);
    const shape = (h: string) => h.replace(/nonce="[^"]*"/, 'nonce=""');
    expect(unknown.first!.headers('WWW-Authenticate').map(shape)).toEqual(wrong.first!.headers('WWW-Authenticate').map(shape));
    expect([wrong.final?.status, wrong.final?.reason]).toEqual([403, 'Forbidden']);
    expect([unknown.final?.status, unknown.final?.reason]).toEqual([403, 'Forbidden']);
  });

  it('refuses a transport the device does not allow before any challenge', async () => {
    const r = await (await client()).register({ user: 'carol', realm: tenant.realm });
    expect([r?.status, r?.reason]).toEqual([403, 'Transport not allowed']);
  });

  it('refuses a replayed Authorization and accepts the same nonce with a higher nc', async () => {
    const ua = await client();
    const aor = { user: 'alice', realm: tenant.realm };
    const first = await ua.register(aor);
    const ch = challengesOf(first!)[0];
    const auth1 = authorization(creds(0), ch, `sip:${tenant.realm}`, 1, 'cn1');
    expect((await ua.register(aor, { authorization: auth1 }))?.status).toBe(200);
    const replay = await ua.register(aor, { authorization: auth1 });
    expect(replay?.status).toBe(401);
    expect(challengesOf(replay!)[0].stale).toBe(false);
    const auth2 = authorization(creds(0), ch, `sip:${tenant.realm}`, 2, 'cn1');
    expect((await ua.register(aor, { authorization: auth2 }))?.status).toBe(200);
  });

  it('answers an expired nonce with stale=true and counts no failure', async () => {
    const ua = await client('127.0.0.71');
    const realm = tenant.realm;
    const codec = new NonceCodec(pbx.secret, 1000);
    const expired = codec.issue('127.0.0.71', realm, Date.now() - 5000);
    const auth = authorization(creds(0), { nonce: expired, algorithm: 'SHA-256' }, `sip:${realm}`);
    const r = await ua.register({ user: 'alice', realm }, { authorization: auth });
    expect(r?.status).toBe(401);
    expect(challengesOf(r!).every((c) => c.stale)).toBe(true);
    expect(await redis.get('pbx:authfail:ip:127.0.0.71')).toBeNull();
    const fresh = authorization(creds(0), challengesOf(r!)[0], `sip:${realm}`);
    expect((await ua.register({ user: 'alice', realm }, { authorization: fresh }))?.status).toBe(200);
  });

  it('keeps several contacts up to max_registrations, replaces by +sip.instance, and removes with Contact: *', async () => {
    const ua = await client();
    const c = creds(3);
    const inst = '+sip.instance="<urn:uuid:00000000-0000-4000-8000-000000000001>";reg-id=1';
    expect((await ua.login(c, { contact: `<sip:dave@10.0.0.1:5060>;${inst}` })).final?.status).toBe(200);
    const moved = await ua.login(c, { contact: `<sip:dave@10.0.0.2:5062>;${inst}` });
    expect(moved.final?.status).toBe(200);
    expect((await bindings(3)).map((b) => b?.contact)).toEqual(['sip:dave@10.0.0.2:5062']);
    await ua.login(c, { contact: '<sip:dave@10.0.0.3:5060>' });
    await ua.login(c, { contact: '<sip:dave@10.0.0.4:5060>' });
    const contacts = (await bindings(3)).map((b) => b?.contact).sort();
    expect(contacts).toEqual(['sip:dave@10.0.0.3:5060', 'sip:dave@10.0.0.4:5060']);
    const star = await ua.login(c, { contact: '*', expires: 0 });
    expect(star.final?.status).toBe(200);
    expect(await bindings(3)).toEqual([]);
  });

  it('answers 423 with Min-Expires below the minimum, and 400 for Contact * with a lifetime', async () => {
    const ua = await client();
    const brief = await ua.login(creds(0), { expires: 5 });
    expect([brief.final?.status, brief.final?.headers('Min-Expires')[0]]).toEqual([423, '60']);
    const star = await ua.login(creds(0), { contact: '*', expires: 60 });
    expect(star.final?.status).toBe(400);
  });
});
