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
const DESK = 2;
const DESK_DEFAULT_ALGORITHMS = 3;

describe('softphones register: sip.js over WSS, baresip over TLS', () => {
  const cert = makeTestCert();
  let pbx: PbxUnderTest;
  let db: DataSource;
  let redis: Redis;
  let tenant: TestTenant;
  const phones: Baresip[] = [];

  const bindings = async (i: number) =>
    Object.values(await redis.hgetall(RedisKeys.deviceRegistrations(tenant.id, tenant.devices[i].id))).map((v) => parseLiveRegistration(v));
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
  const baresip = (i: number, password = tenant.devices[i].password, caFile?: string) => {
    const d = tenant.devices[i];
    const phone = Baresip.start({ user: d.username, realm: tenant.realm, password, proxyPort: pbx.port('tls'), caFile });
    phones.push(phone);
    return phone;
  };
  const waitForBindings = async (i: number, count: number, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const regs = await bindings(i);
      if (regs.length === count || Date.now() > deadline) return regs;
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  beforeAll(async () => {
    db = await openDb();
    redis = createRedis(process.env.REDIS_URL as string, 'sip-softphones-test');
    tenant = await createTenant(db, [
      { username: 'web', transports: ['wss'] },
      { username: 'websha', transports: ['wss'], algorithms: ['SHA-256'] },
      { username: 'desk', transports: ['tls'], algorithms: ['MD5'] },
      { username: 'deskdefault', transports: ['tls'] },
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

  it('explore: baresip with an unrelated CA', async () => {
    const other = makeTestCert();
    const p = baresip(DESK, undefined, other.certFile);
    await p.waitUntil(() => p.registerResponses().length >= 2, 'two responses');
    console.log(p.output);
    await p.stop();
    console.log(p.output, await bindings(DESK));
  });
});
