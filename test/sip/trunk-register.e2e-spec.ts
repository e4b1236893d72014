import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { RedisLock } from '../../libs/call-control/src';
import { createRedis, encrypt, parseKeyring, trunkSecretAad } from '../../libs/common/src';
import { freeUdpPort } from '../sip-edge/helpers/edge-harness';
import { runSipp } from '../sip-edge/helpers/sipp';
import { createTenant, dropTenant, type TestTenant } from './helpers/accounts';
import { openDb, startPbx, type PbxUnderTest } from './helpers/pbx-harness';

const KEKS = `1:${Buffer.alloc(32, 9).toString('base64')}`;

describe('sip trunks that register upstream', () => {
  let db: DataSource;
  let redis: Redis;
  let tenant: TestTenant;
  let pbx: PbxUnderTest | undefined;

  beforeAll(async () => {
    db = await openDb();
    redis = createRedis(process.env.REDIS_URL as string, 'sip-trunk-register-test');
    tenant = await createTenant(db, [{ username: 'alice' }]);
  });

  afterAll(async () => {
    await pbx?.close();
    await db.query(`DELETE FROM trunks WHERE tenant_id = $1`, [tenant.id]);
    await dropTenant(db, tenant.id);
    await db.destroy();
    await redis.quit();
  });

  it("registers the trunk's account with the carrier, answering its 401 with the sealed password, and unregisters at shutdown", async () => {
    const port = await freeUdpPort();
    const id = randomUUID();
    const ring = parseKeyring(KEKS);
    await db.query(
      `INSERT INTO trunks (id, tenant_id, name, host, port, transport, auth_username, auth_secret_ciphertext, auth_secret_key_version, inbound_cidrs, status, register, register_expires)
       VALUES ($1, $2, 'carrier-reg', '127.0.0.1', $3, 'udp', 'acct-test', $4, $5, '{}', 'active', true, 300)`,
      [id, tenant.id, port, encrypt('carrier-secret-1', ring, trunkSecretAad(tenant.id, id)), ring.current],
    );
    // Two registrations (each a 401 answered with the password): the one at start-up and the removal at shutdown.
    const trace = join(mkdtempSync(join(tmpdir(), 'trunk-reg-')), 'messages.log');
    const carrier = runSipp(
      [
        '-sf',
        join(__dirname, 'scenarios', 'trunk-registrar.xml'),
        '-i',
        '127.0.0.1',
        '-p',
        String(port),
        '-trace_msg',
        '-message_file',
        trace,
      ],
      { calls: 2, timeoutS: 45 },
    );
    pbx = await startPbx({ env: { SECRETS_KEKS: KEKS, SIP_TRUNK_REGISTER_TICK_MS: '200' } });
    const sent = () => (existsSync(trace) ? readFileSync(trace, 'utf8') : '');
    for (const deadline = Date.now() + 10_000; !/SIP\/2\.0 200 OK/.test(sent()) && Date.now() < deadline;)
      await new Promise((r) => setTimeout(r, 50));
    // The instance that registered holds the trunk's lock.
    expect(await redis.get(`pbx:trunk:register-lock:${id}`)).not.toBeNull();
    expect(sent()).toMatch(/^Expires: 300\r?$/m);
    await pbx.close();
    pbx = undefined;
    expect((await carrier).code).toBe(0);
    expect(sent()).toMatch(/^Expires: 0\r?$/m);
    expect(await redis.get(`pbx:trunk:register-lock:${id}`)).toBeNull();
  });

  it('lets one instance hold a trunk, and another take it once the holder stops renewing', async () => {
    const lock = new RedisLock(redis);
    const key = `pbx:trunk:register-lock:${randomUUID()}`;
    expect(await lock.hold(key, 'instance-a', 300)).toBe(true);
    expect(await lock.hold(key, 'instance-b', 300)).toBe(false);
    expect(await lock.hold(key, 'instance-a', 300)).toBe(true);
    await new Promise((r) => setTimeout(r, 400));
    expect(await lock.hold(key, 'instance-b', 300)).toBe(true);
    await lock.release(key, 'instance-a');
    expect(await redis.get(key)).toBe('instance-b');
    await lock.release(key, 'instance-b');
    expect(await redis.get(key)).toBeNull();
  });
});
