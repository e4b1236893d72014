import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { CallCounters } from '../../libs/call-control/src';
import { createRedis, loadCounters, PolicyCounterKeys } from '../../libs/common/src';
import { EDGE_SECRET, startTestEdge, type TestEdge } from '../sip-edge/helpers/edge-harness';
import { createTenant, dropTenant, type TestTenant } from './helpers/accounts';
import { openDb, startPbx, TEST_AUDIT_KEY, type PbxUnderTest } from './helpers/pbx-harness';
import { Phone } from './helpers/phone';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LEASE_S = 2;

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** A SIP app process killed with SIGKILL during a toll call must not hold the device's slot for ever. */
describe('sip calls: the fraud gate when the app dies mid-call', () => {
  let db: DataSource;
  let redis: Redis;
  let edge: TestEdge;
  let child: ChildProcess | undefined;
  let survivor: PbxUnderTest | undefined;
  let tenant: TestTenant;
  const phones: Phone[] = [];

  beforeAll(async () => {
    db = await openDb();
    redis = createRedis(process.env.REDIS_URL as string, 'sip-gate-crash-test');
    tenant = await createTenant(db, [{ username: 'alice' }]);
    await db.query(`UPDATE tenants SET default_country = 'GB' WHERE id = $1`, [tenant.id]);
    await db.query(`INSERT INTO fraud_policies (tenant_id, max_concurrent) VALUES ($1, 1)`, [tenant.id]);
  });

  afterAll(async () => {
    child?.kill('SIGKILL');
    await survivor?.close();
    for (const p of phones) p.close();
    await edge?.close();
    const keys = await redis.keys(`pbx:pc:${tenant.id}:*`);
    if (keys.length) await redis.del(...keys);
    for (const table of ['cdrs', 'outbound_routes', 'trunks', 'fraud_policies'])
      await db.query(`DELETE FROM ${table} WHERE tenant_id = $1`, [tenant.id]).catch(() => undefined);
    await dropTenant(db, tenant.id).catch(() => undefined);
    await db.destroy();
    await redis.quit();
  });

  it("the dead process's call stops counting once its lease lapses, and the device may call again", async () => {
    edge = await startTestEdge({ t1: 500 });
    const server = { host: '127.0.0.1', port: edge.port('udp') };
    const carrier = await Phone.open(server, { username: 'carrier', password: 'unused', realm: 'carrier.test' });
    phones.push(carrier);
    const [trunk] = (await db.query(
      `INSERT INTO trunks (tenant_id, name, host, port, transport, status) VALUES ($1, 'carrier', '127.0.0.1', $2, 'udp', 'active') RETURNING id`,
      [tenant.id, carrier.port],
    )) as Array<{ id: string }>;
    await db.query(`INSERT INTO outbound_routes (tenant_id, name, prefix, priority, trunk_id) VALUES ($1, 'uk', '+44', 1, $2)`, [tenant.id, trunk.id]);

    const opsPort = await freePort();
    child = spawn(process.execPath, [join(__dirname, '../../dist/apps/sip/src/main.js')], {
      env: {
        ...process.env,
        DRACHTIO_HOST: '127.0.0.1',
        DRACHTIO_PORT: String(edge.adminPort),
        DRACHTIO_SECRET: EDGE_SECRET,
        AUDIT_HMAC_KEY: TEST_AUDIT_KEY,
        SIP_OPS_PORT: String(opsPort),
        SIP_CALL_LEASE_SECONDS: String(LEASE_S),
        SIP_INSTANCE_TTL_SECONDS: '3',
        BANS_ALLOW_LOOPBACK: 'true',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    for (const deadline = Date.now() + 15_000; ; await sleep(100)) {
      const r = await fetch(`http://127.0.0.1:${opsPort}/health/ready`).catch(() => null);
      if (r?.ok) break;
      if (Date.now() > deadline) throw new Error('the SIP app child did not become ready');
    }

    const d = tenant.devices[0];
    const alice = await Phone.open(server, { username: d.username, password: d.password, realm: tenant.realm });
    phones.push(alice);
    const call = await alice.call('+442079460123');
    expect(call.final?.status).toBe(200);
    // Held past a lease term: the running app renews it.
    await sleep(LEASE_S * 1000 + 500);
    expect((await loadCounters(redis, tenant.id, d.id, Date.now())).deviceActiveCalls).toBe(1);

    child.kill('SIGKILL');
    await new Promise((r) => child?.once('exit', r));
    const killedAt = Date.now();
    // Still counted right after the kill (the member is there until its lease runs out)...
    expect(await redis.zcard(PolicyCounterKeys.deviceActiveCalls(tenant.id, d.id))).toBe(1);
    // ...and no longer once one lease has passed with nobody renewing it.
    await sleep(LEASE_S * 1000 + 200);
    expect((await loadCounters(redis, tenant.id, d.id, Date.now())).deviceActiveCalls).toBe(0);
    expect(Date.now() - killedAt).toBeLessThan(LEASE_S * 1000 + 2000);
    // The device's one slot (max_concurrent 1) can be taken again.
    const again = await new CallCounters(redis).reserve({ tenantId: tenant.id, deviceId: d.id, callId: 'after-crash' }, { deviceConcurrent: 1 }, Date.now(), 1000);
    expect(again).toMatchObject({ ok: true, counts: { deviceActiveCalls: 0 } });

    // And the call's CDR is not lost: a surviving instance writes it from the dead one's journal.
    survivor = await startPbx({ env: { SIP_INSTANCE_TTL_SECONDS: '3' } });
    for (const deadline = Date.now() + 10_000; ; await sleep(100)) {
      const rows = (await db.query(`SELECT hangup_cause FROM cdrs WHERE tenant_id = $1 AND call_id = $2`, [tenant.id, call.callId])) as Array<{ hangup_cause: string }>;
      if (rows[0]) {
        expect(rows[0].hangup_cause).toMatch(/crash recovery/);
        break;
      }
      if (Date.now() > deadline) throw new Error('no CDR written for the dead instance');
    }
  });
});
