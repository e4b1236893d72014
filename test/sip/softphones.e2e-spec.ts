import type { DataSource } from 'typeorm';
import type Redis from 'ioredis';
import { createRedis, parseLiveRegistration, RedisKeys } from '../../libs/common/src';
import { createTenant, dropTenant, type TestTenant } from './helpers/accounts';
import { Baresip } from './helpers/baresip';
import { openDb, startPbx, type PbxUnderTest } from './helpers/pbx-harness';
import { runSipJs, type SipJsRun } from './helpers/sipjs';
import { makeTestCert } from '../sip-edge/helpers/tls-cert';

const WEB = 0;
const WEB_SHA256_ONLY = 1;
const WEB_WRONG = 2;
const DESK = 3;
const DESK_DEFAULT = 4;
const DESK_WRONG = 5;

describe('softphones register: sip.js over WSS, baresip over TLS', () => {
  const cert = makeTestCert();
  let pbx: PbxUnderTest;
  let db: DataSource;
  let redis: Redis;
  let tenant: TestTenant;
  const phones: Baresip[] = [];

  const bindings = async (i: number) =>
    Object.values(await redis.hgetall(RedisKeys.deviceRegistrations(tenant.id, tenant.devices[i].id))).map((v) => parseLiveRegistration(v));
  const waitForBindings = async (i: number, count: number, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const regs = await bindings(i);
      if (regs.length === count || Date.now() > deadline) return regs;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const sipJs = (i: number, mode: SipJsRun['mode'], extra: Partial<SipJsRun> = {}) => {
    const d = tenant.devices[i];
    return runSipJs({
      server: `wss://127.0.0.1:${pbx.port('wss')}`,
      aor: `sip:${d.username}@${tenant.realm}`,
      user: d.username,
      password: d.password,
      mode,
      ...extra,
    });
  };
  const baresip = (i: number, password = tenant.devices[i].password) => {
    const d = tenant.devices[i];
    const phone = Baresip.start({ user: d.username, realm: tenant.realm, password, proxyPort: pbx.port('tls'), caFile: cert.certFile });
    phones.push(phone);
    return phone;
  };

  beforeAll(async () => {
    db = await openDb();
    redis = createRedis(process.env.REDIS_URL as string, 'sip-softphones-test');
    tenant = await createTenant(db, [
      { username: 'web', transports: ['wss'] },
      { username: 'websha', transports: ['wss'], algorithms: ['SHA-256'] },
      { username: 'webwrong', transports: ['wss'] },
      // libre 1.1.0 (baresip 1.0.0) gives up on any challenge that is not MD5, see below.
      { username: 'desk', transports: ['tls'], algorithms: ['MD5'] },
      { username: 'deskdefault', transports: ['tls'] },
      { username: 'deskwrong', transports: ['tls'], algorithms: ['MD5'] },
    ]);
    pbx = await startPbx({
      contacts: ['sips:127.0.0.1:0;transport=tls', 'sips:127.0.0.1:0;transport=wss'],
      tls: { keyFile: cert.keyFile, certFile: cert.certFile, verifyOutbound: false },
    });
  });

  afterAll(async () => {
    for (const p of phones) await p.stop();
    await pbx?.close();
    await dropTenant(db, tenant.id);
    await db.destroy();
    await redis.quit();
  });

  describe('sip.js 0.21 over WSS', () => {
    // sip.js keeps only the last WWW-Authenticate header (its parser replaces, not appends), so of
    // our SHA-256-then-MD5 challenge it sees and answers the MD5 one.
    it('registers a default device (SHA-256 and MD5 offered) with MD5, the binding in Redis on wss', async () => {
      const instanceId = '6f1c2b3a-0d4e-4f5a-8b6c-7d8e9f0a1b2c';
      const reg = await sipJs(WEB, 'register', { instanceId });
      expect([reg.error, reg.registerStatus, reg.registered]).toEqual(['', 200, true]);
      const regs = await bindings(WEB);
      expect(regs).toHaveLength(1);
      expect(regs[0]).toMatchObject({ transport: 'wss', source_ip: '127.0.0.1', user_agent: expect.stringMatching(/^SIP\.js\//) });
      expect(regs[0]?.contact).toMatch(/;transport=ws$/);

      // A new sip.js instance with the same +sip.instance replaces the binding, then unregisters it.
      const unreg = await sipJs(WEB, 'unregister', { instanceId });
      expect([unreg.error, unreg.registerStatus, unreg.unregisterStatus]).toEqual(['', 200, 200]);
      expect(await bindings(WEB)).toEqual([]);
    });

    it('gives up on a SHA-256-only challenge (sip.js computes MD5 only): 401, no binding', async () => {
      const r = await sipJs(WEB_SHA256_ONLY, 'register');
      expect([r.registered, r.registerStatus]).toEqual([false, 401]);
      expect(r.log.join('\n')).toContain("challenge with Digest algorithm different than 'MD5', authentication aborted");
      expect(await bindings(WEB_SHA256_ONLY)).toEqual([]);
    });

    it('is refused with a wrong password: 403, no binding', async () => {
      const r = await sipJs(WEB_WRONG, 'register', { password: 'not-the-password' });
      expect([r.registered, r.registerStatus, r.error]).toEqual([false, 403, 'register rejected 403']);
      expect(await bindings(WEB_WRONG)).toEqual([]);
    });
  });

  describe('baresip 1.0.0 over TLS', () => {
    it('registers an MD5 device, the binding in Redis on tls, and unregisters when stopped', async () => {
      const phone = baresip(DESK);
      await phone.waitUntil(() => /\{0\/TLS\/v4\} 200 OK .*\[1 binding\]/.test(phone.output), 'registration');
      expect(phone.registerResponses()).toEqual([401, 200]);
      const regs = await bindings(DESK);
      expect(regs).toHaveLength(1);
      expect(regs[0]).toMatchObject({ transport: 'tls', source_ip: '127.0.0.1', user_agent: expect.stringMatching(/^baresip v1\.0\.0/) });
      expect(regs[0]?.contact).toMatch(/^sip:desk-\w+@127\.0\.0\.1:\d+;transport=tls$/);

      // On SIGTERM baresip sends REGISTER with expires=0 before it exits.
      await phone.stop();
      expect(phone.running).toBe(false);
      expect(phone.registerResponses()).toEqual([401, 200, 401, 200]);
      expect(await waitForBindings(DESK, 0)).toEqual([]);
    });

    // libre 1.1.0 (src/sip/auth.c) walks every WWW-Authenticate header and fails the whole
    // request with ENOSYS at the first one whose algorithm is not MD5, whatever the order.
    it('cannot register a device that is offered SHA-256 too (libre: ENOSYS), and leaves no binding', async () => {
      const phone = baresip(DESK_DEFAULT);
      await phone.waitUntil(() => phone.output.includes('Register: Function not implemented'), 'the ENOSYS failure');
      expect(phone.registerResponses()).toEqual([401]);
      await phone.stop();
      expect(await bindings(DESK_DEFAULT)).toEqual([]);
    });

    it('is refused with a wrong password: 403, no binding', async () => {
      const phone = baresip(DESK_WRONG, 'not-the-password');
      await phone.waitUntil(() => /reg: sip:deskwrong@\S+: 403 Forbidden/.test(phone.output), 'the refusal');
      expect(phone.registerResponses()).toEqual([401, 403]);
      await phone.stop();
      expect(await bindings(DESK_WRONG)).toEqual([]);
    });
  });
});
