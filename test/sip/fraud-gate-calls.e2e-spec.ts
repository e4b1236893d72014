import { randomInt } from 'node:crypto';
import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { createRedis, PolicyCounterKeys } from '../../libs/common/src';
import { createTenant, dropTenant, type TestTenant } from './helpers/accounts';
import { openDb, startPbx, type PbxUnderTest } from './helpers/pbx-harness';
import { Phone, type OutgoingCall } from './helpers/phone';

interface CdrRow {
  disposition: string;
  hangup_cause: string;
  billable_seconds: number;
  cost: string;
  destination_country: string | null;
  policy_decision: string | null;
  policy_rule_id: string | null;
}

const ACCRUAL_MS = 200;
const london = () => `+44207946${String(randomInt(1000, 9999))}`;
const paris = () => `+33142685${String(randomInt(100, 999))}`;
const ruleOf = (c: OutgoingCall) => /"deny by ([^\s"]+?)(?: rule=\S+)?: /.exec(c.final?.header('Warning') ?? '')?.[1];

/**
 * Calls held up through a trunk against the fraud gate: the "carrier" is a test phone on loopback that
 * answers every INVITE and holds the call until it gets a BYE, so calls run as long as the gate lets them.
 */
describe('sip calls: the fraud gate on calls that are running', () => {
  let pbx: PbxUnderTest;
  let db: DataSource;
  let redis: Redis;
  const tenants: TestTenant[] = [];
  const phones: Phone[] = [];

  const open = async (t: TestTenant, i = 0) => {
    const d = t.devices[i];
    const p = await Phone.open({ host: pbx.host, port: pbx.port('udp') }, { username: d.username, password: d.password, realm: t.realm });
    phones.push(p);
    return p;
  };

  /** A GB tenant whose +44 and +33 calls go to a carrier that answers and holds, with this policy row. */
  const tollTenant = async (policy: Record<string, unknown>, rate?: { prefix: string; perMinute: number; firstIncrement: number }) => {
    const t = await createTenant(db, [{ username: 'alice' }]);
    tenants.push(t);
    await db.query(`UPDATE tenants SET default_country = 'GB' WHERE id = $1`, [t.id]);
    const carrier = await Phone.open({ host: pbx.host, port: pbx.port('udp') }, { username: 'carrier', password: 'unused', realm: 'carrier.test' });
    phones.push(carrier);
    carrier.answerMode = { kind: 'answer', afterMs: 20 };
    const [trunk] = (await db.query(
      `INSERT INTO trunks (tenant_id, name, host, port, transport, status) VALUES ($1, 'carrier', '127.0.0.1', $2, 'udp', 'active') RETURNING id`,
      [t.id, carrier.port],
    )) as Array<{ id: string }>;
    for (const prefix of ['+44', '+33'])
      await db.query(`INSERT INTO outbound_routes (tenant_id, name, prefix, priority, trunk_id) VALUES ($1, $2, $3, 1, $4)`, [t.id, `r${prefix}`, prefix, trunk.id]);
    const row = { max_calls_per_minute: null, max_calls_per_hour: null, step_up_first_calls: null, ...policy };
    const cols = Object.keys(row);
    await db.query(
      `INSERT INTO fraud_policies (tenant_id, ${cols.join(', ')}) VALUES ($1, ${cols.map((_, i) => `$${i + 2}`).join(', ')})`,
      [t.id, ...Object.values(row)],
    );
    if (rate)
      await db.query(`INSERT INTO rates (tenant_id, prefix, per_minute, first_increment_seconds) VALUES ($1, $2, $3, $4)`, [
        t.id,
        rate.prefix,
        rate.perMinute,
        rate.firstIncrement,
      ]);
    return { t, carrier, alice: await open(t) };
  };
  const cdr = async (t: TestTenant, callId: string): Promise<CdrRow> => {
    for (const deadline = Date.now() + 5000; Date.now() < deadline; ) {
      const rows = (await db.query(`SELECT * FROM cdrs WHERE tenant_id = $1 AND call_id = $2`, [t.id, callId])) as CdrRow[];
      if (rows[0]) return rows[0];
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no CDR for ${callId}`);
  };
  const byeFor = (p: Phone, callId: string, timeoutMs = 5000) => p.next((m) => m.method === 'BYE' && m.header('Call-ID') === callId, `BYE for ${callId}`, timeoutMs);

  beforeAll(async () => {
    db = await openDb();
    redis = createRedis(process.env.REDIS_URL as string, 'sip-gate-calls-test');
    pbx = await startPbx({ env: { SIP_SPEND_ACCRUAL_MS: String(ACCRUAL_MS), SIP_CALL_LEASE_SECONDS: '5' } });
  });

  afterAll(async () => {
    for (const p of phones) p.close();
    await pbx?.close();
    for (const t of tenants) {
      const keys = await redis.keys(`pbx:pc:${t.id}:*`);
      if (keys.length) await redis.del(...keys);
      for (const table of ['cdrs', 'alerts', 'outbound_routes', 'trunks', 'rates', 'fraud_policies', 'audit_log'])
        await db.query(`DELETE FROM ${table} WHERE tenant_id = $1`, [t.id]).catch(() => undefined);
      await dropTenant(db, t.id).catch(() => undefined);
    }
    await db.destroy();
    await redis.quit();
  });

  it('50 simultaneous INVITEs against a concurrency limit of 5: exactly 5 are connected, 45 get 403 concurrency:device', async () => {
    const { t, carrier, alice } = await tollTenant({ max_concurrent: 5 });
    const calls = await Promise.all(Array.from({ length: 50 }, () => alice.call(london(), { timeoutMs: 15_000 })));
    const up = calls.filter((c) => c.final?.status === 200);
    const refused = calls.filter((c) => c.final?.status === 403);
    expect(calls.filter((c) => ![200, 403].includes(c.final?.status ?? 0)).map((c) => `${c.final?.status} ${c.final?.reason} ${c.final?.header('Warning') ?? ''}`)).toEqual([]);
    expect(up).toHaveLength(5);
    expect(refused).toHaveLength(45);
    expect(new Set(refused.map(ruleOf))).toEqual(new Set(['concurrency:device']));
    expect(carrier.inbox.filter((m) => m.method === 'INVITE')).toHaveLength(5);
    expect(await redis.zcard(PolicyCounterKeys.deviceActiveCalls(t.id, t.devices[0].id))).toBe(5);
    expect(await cdr(t, refused[0].callId)).toMatchObject({ disposition: 'denied', policy_rule_id: 'concurrency:device', destination_country: 'GB' });

    // Hung up, they give their slots back at once.
    for (const c of up) c.hangUp();
    for (const c of up) await cdr(t, c.callId);
    expect(await redis.zcard(PolicyCounterKeys.deviceActiveCalls(t.id, t.devices[0].id))).toBe(0);
    const again = await alice.call(london());
    expect(again.final?.status).toBe(200);
    again.hangUp();
    await cdr(t, again.callId);
  });

  it('a daily cap crossed by calls still running ends them, escalates the lock then, and refuses the next call', async () => {
    // 60 a minute with a 1 s increment: each answered call costs 1 at once, then 1 a second.
    const { t, carrier, alice } = await tollTenant(
      { max_concurrent: 10, daily_cap: 3, daily_escalation: 1 },
      { prefix: '+44', perMinute: 60, firstIncrement: 1 },
    );
    const started = Date.now();
    const calls = await Promise.all([alice.call(london()), alice.call(london())]);
    for (const c of calls) expect(c.final?.status).toBe(200);
    // Nobody hangs up: the gate does, on both legs, within a few accruals of the crossing.
    for (const c of calls) await byeFor(alice, c.callId);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(carrier.inbox.filter((m) => m.method === 'BYE')).toHaveLength(2);
    for (const c of calls) {
      const row = await cdr(t, c.callId);
      expect(row).toMatchObject({ disposition: 'answered', policy_decision: 'allow', destination_country: 'GB' });
      expect(row.hangup_cause).toContain('spend cap crossed (cap:daily)');
      expect(Number(row.cost)).toBeGreaterThanOrEqual(1);
    }
    const [tenant] = (await db.query(`SELECT lock_level, lock_reason FROM tenants WHERE id = $1`, [t.id])) as Array<{ lock_level: number; lock_reason: string }>;
    expect(tenant.lock_level).toBe(1);
    expect(tenant.lock_reason).toContain('cap:daily');
    const alerts = (await db.query(`SELECT kind, severity FROM alerts WHERE tenant_id = $1`, [t.id])) as Array<{ kind: string; severity: string }>;
    expect(alerts).toEqual([{ kind: 'spend_cap', severity: 'critical' }]);
    const audit = (await db.query(`SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1 AND action = 'policy.lock_escalated'`, [t.id])) as Array<{ n: number }>;
    expect(audit[0].n).toBe(1);

    const next = await alice.call(london());
    expect(next.final?.status).toBe(403);
    expect(ruleOf(next)).toBe('cap:daily');
  });

  it('max duration ends both legs of an answered call', async () => {
    const { t, carrier, alice } = await tollTenant({ max_duration_seconds: 2 });
    const call = await alice.call(london());
    expect(call.final?.status).toBe(200);
    const answered = Date.now();
    await byeFor(alice, call.callId, 5000);
    await carrier.next((m) => m.method === 'BYE', 'BYE at the carrier', 1000);
    expect(Date.now() - answered).toBeGreaterThan(1500);
    const row = await cdr(t, call.callId);
    expect(row.hangup_cause).toContain('max duration of 2 s');
    expect(row.billable_seconds).toBeGreaterThanOrEqual(2);
    expect(row.billable_seconds).toBeLessThanOrEqual(3);
  });

  it('a first call to a new country is stepped up: one at a time, ended at the step-up duration', async () => {
    const { t, carrier, alice } = await tollTenant({ step_up_first_calls: 3, step_up_max_duration_seconds: 2, max_concurrent: 5 });
    const first = await alice.call(paris());
    expect(first.final?.status).toBe(200);
    const second = await alice.call(paris());
    expect(second.final?.status).toBe(403);
    expect(ruleOf(second)).toBe('step-up:concurrency');
    await byeFor(alice, first.callId, 5000);
    await carrier.next((m) => m.method === 'BYE', 'BYE at the carrier', 1000);
    const row = await cdr(t, first.callId);
    expect(row).toMatchObject({ policy_decision: 'step_up', policy_rule_id: 'step-up:first-seen:FR', destination_country: 'FR' });
    expect(row.hangup_cause).toContain('max duration of 2 s');
  });
});
