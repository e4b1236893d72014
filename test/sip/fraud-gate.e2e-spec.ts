import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { createRedis, PolicyCounterKeys, QUEUES } from '../../libs/common/src';
import { loadWorkerConfig } from '../../apps/worker/src/config/worker-config';
import { login, seedUser, startApi, type TestApi } from '../api/harness';
import { CUBA, LONDON, policyClient } from '../api/policy-fixtures';
import { createTenant, dropTenant, type TestTenant } from './helpers/accounts';
import { openDb, startPbx, type PbxUnderTest } from './helpers/pbx-harness';
import { Phone } from './helpers/phone';
import { ruleOf } from './helpers/sip-message';

interface CdrRow {
  disposition: string;
  direction: string;
  to_number: string;
  destination_country: string | null;
  policy_decision: string | null;
  policy_rule_id: string | null;
  hangup_cause: string;
  cost: string;
}


describe('sip calls: the fraud gate on INVITE', () => {
  let pbx: PbxUnderTest;
  let api: TestApi;
  let db: DataSource;
  let redis: Redis;
  let queue: Queue;
  let queueRedis: Redis;
  const tenants: TestTenant[] = [];
  const phones: Phone[] = [];

  const phoneOf = async (t: TestTenant, i: number) => {
    const d = t.devices[i];
    const p = await Phone.open({ host: pbx.host, port: pbx.port('udp') }, { username: d.username, password: d.password, realm: t.realm });
    phones.push(p);
    return p;
  };
  const tenant = async () => {
    const t = await createTenant(db, [{ username: 'alice' }, { username: 'bob' }]);
    tenants.push(t);
    return t;
  };
  const cdr = async (t: TestTenant, callId: string): Promise<CdrRow> => {
    for (const deadline = Date.now() + 5000; Date.now() < deadline; ) {
      const rows = (await db.query(`SELECT * FROM cdrs WHERE tenant_id = $1 AND call_id = $2`, [t.id, callId])) as CdrRow[];
      if (rows[0]) return rows[0];
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no CDR for ${callId}`);
  };

  beforeAll(async () => {
    db = await openDb();
    redis = createRedis(process.env.REDIS_URL as string, 'sip-gate-test');
    pbx = await startPbx();
    api = await startApi();
    // Where the worker reads call events: its own QUEUE_PREFIX, as its config resolves it.
    const prefix = loadWorkerConfig({ ...process.env, QUEUE_PREFIX: undefined, AUDIT_HMAC_KEY: 'k'.repeat(40) }).QUEUE_PREFIX;
    queueRedis = redis.duplicate();
    queue = new Queue(QUEUES.callEvents, { connection: queueRedis, prefix });
  });

  afterAll(async () => {
    for (const p of phones) p.close();
    await queue?.close();
    await queueRedis?.quit();
    await pbx?.close();
    await api?.close();
    for (const t of tenants) {
      const keys = await redis.keys(`pbx:pc:${t.id}:*`);
      if (keys.length) await redis.del(...keys);
      await db.query(`DELETE FROM cdrs WHERE tenant_id = $1`, [t.id]);
      await db.query(`DELETE FROM alerts WHERE tenant_id = $1`, [t.id]);
      await dropTenant(db, t.id).catch(() => undefined);
    }
    await db.destroy();
    await redis.quit();
  });

  it('a high-risk international call gets 403 naming the rule; the CDR, the event and the simulator name it too', async () => {
    const t = await tenant();
    const alice = await phoneOf(t, 0);
    const call = await alice.call(CUBA);
    expect(call.final?.status).toBe(403);
    const warning = call.final?.header('Warning');
    const rule = ruleOf(warning);
    expect(rule).toBeDefined();
    expect(warning).toContain('CU');

    const row = await cdr(t, call.callId);
    expect(row).toMatchObject({
      disposition: 'denied',
      direction: 'outbound',
      to_number: CUBA,
      destination_country: 'CU',
      policy_decision: 'deny',
      policy_rule_id: rule,
    });

    // The event is where the worker reads (QUEUE_PREFIX), not under BullMQ's default prefix.
    const eventId = `${t.id}:${call.callId}:call.ended`;
    let job = await queue.getJob(eventId);
    for (const deadline = Date.now() + 3000; !job && Date.now() < deadline; job = await queue.getJob(eventId))
      await new Promise((r) => setTimeout(r, 50));
    expect(job?.data).toMatchObject({ disposition: 'denied', remoteCountry: 'CU', toNumber: CUBA, deviceId: t.devices[0].id, cost: 0 });
    expect(await redis.exists(`bull:${QUEUES.callEvents}:${eventId}`)).toBe(0);

    // What an admin simulates for this device, number and address is what the call got.
    const admin = await seedUser(api, t.id, ['tenant_admin']);
    const token = (await login(api, admin)).access;
    const sim = await policyClient(api, { id: t.id, token, deviceId: t.devices[0].id }).simulate(CUBA, {
      source_ip: '127.0.0.1',
      time: new Date().toISOString(),
    });
    expect(sim).toMatchObject({ decision: 'deny', rule_id: rule, country: 'CU' });

    const metrics = await (await fetch(`http://127.0.0.1:${pbx.sip.opsPort}/metrics`)).text();
    const label = (rule ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(metrics).toMatch(new RegExp(`sip_policy_denials_total\\{rule="${label}"[^}]*\\} [1-9]`));
  });

  it('a tenant at lock level 3 gets 403 lock-level:3 even for an extension, with an internal denied CDR', async () => {
    const t = await tenant();
    await db.query(`UPDATE tenants SET lock_level = 3 WHERE id = $1`, [t.id]);
    const alice = await phoneOf(t, 0);
    const bob = await phoneOf(t, 1);
    expect(await bob.register()).toBe(200);
    const call = await alice.call('1002');
    expect(call.final?.status).toBe(403);
    expect(ruleOf(call.final?.header('Warning'))).toBe('lock-level:3');
    expect(bob.inbox.some((m) => m.method === 'INVITE')).toBe(false);
    expect(await cdr(t, call.callId)).toMatchObject({ disposition: 'denied', direction: 'internal', to_number: '1002', policy_rule_id: 'lock-level:3' });
  });

  it("treats the tenant's own emergency list as emergency on the SIP path, as the gate does", async () => {
    const t = await tenant();
    await db.query(`INSERT INTO fraud_policies (tenant_id, emergency_numbers) VALUES ($1, $2)`, [t.id, ['5555']]);
    const alice = await phoneOf(t, 0);
    const call = await alice.call('5555');
    // Not "no extension 5555": classified as emergency, allowed, then routed (no trunk in this test).
    expect(`${call.final?.status} ${call.final?.header('Warning')}`).toBe('404 399 pbx "no outbound route for 5555"');
    expect(await cdr(t, call.callId)).toMatchObject({ direction: 'outbound', to_number: '5555', disposition: 'failed' });
  });

  it('an allowed call that finds no route gives back the slot it took', async () => {
    const t = await tenant();
    const alice = await phoneOf(t, 0);
    const call = await alice.call(LONDON);
    // Allowed by the policy (GB is low risk), then refused by routing: the tenant has no outbound route yet.
    expect(call.final?.status).not.toBe(403);
    expect(await redis.zcard(PolicyCounterKeys.activeCalls(t.id))).toBe(0);
    expect(await redis.zcard(PolicyCounterKeys.calls(t.id))).toBe(1);
  });
});
