import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { createRedis, RedisKeys } from '../../libs/common/src';
import { createTenant, dropTenant, type TestTenant } from './helpers/accounts';
import { openDb, startPbx, type PbxUnderTest } from './helpers/pbx-harness';
import { Phone } from './helpers/phone';

interface CdrRow {
  disposition: string;
  direction: string;
  from_number: string;
  to_number: string;
  answered_at: Date | null;
  ended_at: Date | null;
  billable_seconds: number;
  hangup_cause: string;
}

describe('sip calls: device to extension through the B2BUA', () => {
  let pbx: PbxUnderTest;
  let db: DataSource;
  let redis: Redis;
  let tenant: TestTenant;
  const phones: Phone[] = [];

  const phone = async (i: number) => {
    const d = tenant.devices[i];
    const p = await Phone.open({ host: pbx.host, port: pbx.port('udp') }, { username: d.username, password: d.password, realm: tenant.realm });
    phones.push(p);
    return p;
  };
  const cdr = async (callId: string): Promise<CdrRow> => {
    for (const deadline = Date.now() + 5000; Date.now() < deadline; ) {
      const rows = (await db.query(`SELECT * FROM cdrs WHERE tenant_id = $1 AND call_id = $2`, [tenant.id, callId])) as CdrRow[];
      if (rows[0]) return rows[0];
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no CDR for ${callId}`);
  };

  beforeAll(async () => {
    db = await openDb();
    redis = createRedis(process.env.REDIS_URL as string, 'sip-calls-test');
    // alice is extension 1001; bob's desk phone and softphone are both on extension 1002.
    tenant = await createTenant(db, [{ username: 'alice' }, { username: 'bob' }, { username: 'carol' }]);
    await db.query(`UPDATE devices SET extension_id = $1 WHERE id = $2`, [tenant.devices[1].extensionId, tenant.devices[2].id]);
    pbx = await startPbx();
  });

  // Each test registers the phones it needs; earlier tests' phones must not answer for them.
  beforeEach(async () => {
    for (const d of tenant.devices) await redis.del(RedisKeys.deviceRegistrations(tenant.id, d.id));
  });

  afterAll(async () => {
    for (const p of phones) p.close();
    await pbx?.close();
    await db.query(`DELETE FROM cdrs WHERE tenant_id = $1`, [tenant.id]);
    await dropTenant(db, tenant.id);
    await db.destroy();
    await redis.quit();
  });

  it('rings every phone of the extension at once, connects the first to answer, and reaches BYE with a CDR', async () => {
    const alice = await phone(0);
    const bobDesk = await phone(1);
    const bobSoft = await phone(2);
    for (const p of [alice, bobDesk, bobSoft]) expect(await p.register()).toBe(200);
    bobDesk.answerMode = { kind: 'ring' };
    bobSoft.answerMode = { kind: 'answer', afterMs: 300 };

    const call = await alice.call('1002');
    expect(call.final?.status).toBe(200);
    expect(call.final?.body).toContain('m=audio');
    // The desk phone rang too, and was cancelled when the softphone answered.
    await bobDesk.next((m) => m.method === 'INVITE', 'INVITE at the desk phone');
    await bobDesk.next((m) => m.method === 'CANCEL', 'CANCEL at the desk phone');
    // The live record is written beside the call, not before the 200: poll for it.
    let live: { state?: string } = {};
    for (const deadline = Date.now() + 3000; live.state !== 'answered' && Date.now() < deadline; ) {
      live = JSON.parse((await redis.hget(RedisKeys.tenantCalls(tenant.id), call.callId)) ?? '{}') as { state?: string };
      if (live.state !== 'answered') await new Promise((r) => setTimeout(r, 20));
    }
    expect(live).toMatchObject({ state: 'answered', direction: 'internal', to_number: '1002' });

    await new Promise((r) => setTimeout(r, 1100));
    call.hangUp();
    await bobSoft.next((m) => m.method === 'BYE', 'BYE at the callee');
    const row = await cdr(call.callId);
    expect(row).toMatchObject({ disposition: 'answered', direction: 'internal', from_number: 'alice', to_number: '1002' });
    expect(row.billable_seconds).toBeGreaterThanOrEqual(1);
    expect(row.answered_at).not.toBeNull();
    // The live record goes once the CDR is safe: poll for it.
    let stillLive: string | null = 'x';
    for (const deadline = Date.now() + 3000; stillLive !== null && Date.now() < deadline; ) {
      stillLive = await redis.hget(RedisKeys.tenantCalls(tenant.id), call.callId);
      if (stillLive !== null) await new Promise((r) => setTimeout(r, 20));
    }
    expect(stillLive).toBeNull();
  });

  it('lets the callee hang up first', async () => {
    const [alice, bob] = [await phone(0), await phone(1)];
    await alice.register();
    await bob.register();
    bob.answerMode = { kind: 'answer', afterMs: 10 };
    const call = await alice.call('1002');
    expect(call.final?.status).toBe(200);
    bob.hangUpAnswered(bob.answered.keys().next().value as string);
    await alice.next((m) => m.method === 'BYE', 'BYE at the caller');
    expect((await cdr(call.callId)).hangup_cause).toMatch(/callee hung up/);
  });

  it('passes busy back to the caller and records it', async () => {
    const [alice, bob] = [await phone(0), await phone(1)];
    await alice.register();
    await bob.register();
    bob.answerMode = { kind: 'busy' };
    const call = await alice.call('1002');
    expect(call.final?.status).toBe(486);
    expect((await cdr(call.callId)).disposition).toBe('busy');
  });

  it('answers a caller who cancels with 487, cancels the callee, and records a cancelled call', async () => {
    const [alice, bob] = [await phone(0), await phone(1)];
    await alice.register();
    await bob.register();
    bob.answerMode = { kind: 'ring' };
    const pending = alice.call('1002');
    await bob.next((m) => m.method === 'INVITE', 'INVITE at the callee');
    const ringing = await alice.next((m) => m.status === 180, '180 at the caller');
    const callId = ringing.header('Call-ID') as string;
    alice.lastInvite(callId).cancel();
    expect((await pending).final?.status).toBe(487);
    await bob.next((m) => m.method === 'CANCEL', 'CANCEL at the callee');
    expect((await cdr(callId)).disposition).toBe('cancelled');
  });

  it('refuses with 404 an extension that does not exist and 480 one with no phone registered', async () => {
    const alice = await phone(0);
    await alice.register();
    expect((await alice.call('4999')).final?.status).toBe(404);
    await db.query(`INSERT INTO extensions (tenant_id, number, name) VALUES ($1, '1099', 'empty')`, [tenant.id]);
    expect((await alice.call('1099')).final?.status).toBe(480);
  });

  it('challenges with 407 and refuses a wrong password with 403', async () => {
    const mallory = await Phone.open({ host: pbx.host, port: pbx.port('udp') }, { username: 'alice', password: 'wrong', realm: tenant.realm });
    phones.push(mallory);
    const call = await mallory.call('1002');
    expect(call.final?.status).toBe(403);
  });
});
