import { randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { createRedis, RedisChannels, RedisKeys } from '../../libs/common/src';
import { login, seedUser, startApi, type TestApi } from '../api/harness';
import { EDGE_SECRET, startTestEdge, type TestEdge } from '../sip-edge/helpers/edge-harness';
import { createTenant, dropTenant, type TestTenant } from './helpers/accounts';
import { openDb, startPbx, TEST_AUDIT_KEY, type PbxUnderTest } from './helpers/pbx-harness';
import { Phone } from './helpers/phone';

interface CdrRow {
  disposition: string;
  hangup_cause: string;
  answered_at: Date | null;
  ended_at: Date | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('sip calls: ended by command (admin, fraud) and recovered after a crash', () => {
  let db: DataSource;
  let redis: Redis;
  let tenant: TestTenant;
  const phones: Phone[] = [];

  const cdr = async (callId: string, timeoutMs = 5000): Promise<CdrRow> => {
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(50)) {
      const rows = (await db.query(`SELECT * FROM cdrs WHERE tenant_id = $1 AND call_id = $2`, [tenant.id, callId])) as CdrRow[];
      if (rows[0]) return rows[0];
    }
    throw new Error(`no CDR for ${callId}`);
  };
  const liveState = async (callId: string, want: string | null, timeoutMs = 3000): Promise<void> => {
    let state: string | null = null;
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(20)) {
      const raw = await redis.hget(RedisKeys.tenantCalls(tenant.id), callId);
      state = raw === null ? null : ((JSON.parse(raw) as { state: string }).state ?? null);
      if (state === want) return;
    }
    throw new Error(`live call ${callId} is ${state}, wanted ${want}`);
  };
  const connect = async (port: number, host = '127.0.0.1') => {
    const open = async (i: number) => {
      const d = tenant.devices[i];
      const p = await Phone.open({ host, port }, { username: d.username, password: d.password, realm: tenant.realm });
      phones.push(p);
      expect(await p.register()).toBe(200);
      return p;
    };
    const alice = await open(0);
    const bob = await open(1);
    bob.answerMode = { kind: 'answer', afterMs: 10 };
    return { alice, bob };
  };

  beforeAll(async () => {
    db = await openDb();
    redis = createRedis(process.env.REDIS_URL as string, 'sip-commands-test');
    tenant = await createTenant(db, [{ username: 'alice' }, { username: 'bob' }]);
  });

  beforeEach(async () => {
    for (const d of tenant.devices) await redis.del(RedisKeys.deviceRegistrations(tenant.id, d.id));
  });

  afterAll(async () => {
    for (const p of phones) p.close();
    await db.query(`DELETE FROM cdrs WHERE tenant_id = $1`, [tenant.id]);
    await db.query(`DELETE FROM audit_log WHERE tenant_id = $1`, [tenant.id]).catch(() => undefined);
    await dropTenant(db, tenant.id);
    await db.destroy();
    await redis.quit();
  });

  describe('with the app running', () => {
    let pbx: PbxUnderTest;
    let api: TestApi;
    beforeAll(async () => {
      pbx = await startPbx();
      api = await startApi();
    });
    afterAll(async () => {
      await api?.close();
      await pbx?.close();
    });

    it('ends a call within a second of an admin hangup through the API, on both legs, with the reason in the CDR', async () => {
      const { alice, bob } = await connect(pbx.port('udp'));
      const call = await alice.call('1002');
      expect(call.final?.status).toBe(200);
      await liveState(call.callId, 'answered');

      const admin = await login(api, await seedUser(api, tenant.id, ['supervisor']));
      const asked = Date.now();
      const res = await api.request('DELETE', `/api/v1/live/calls/${encodeURIComponent(call.callId)}`, { token: admin.access });
      expect(res.status).toBe(202);
      const byes = await Promise.all([
        alice.next((m) => m.method === 'BYE', 'BYE at the caller', 1000),
        bob.next((m) => m.method === 'BYE', 'BYE at the callee', 1000),
      ]);
      expect(Date.now() - asked).toBeLessThan(1000);
      expect(byes[0].header('Reason')).toMatch(/administrator/);
      expect(await cdr(call.callId)).toMatchObject({ disposition: 'answered', hangup_cause: expect.stringMatching(/ended by an administrator/) });
      await liveState(call.callId, null);
    });

    it("ends every call of a device on the fraud worker's command, and ignores malformed commands", async () => {
      const { alice, bob } = await connect(pbx.port('udp'));
      const call = await alice.call('1002');
      expect(call.final?.status).toBe(200);
      await liveState(call.callId, 'answered');

      await redis.publish(RedisChannels.sipCommands, '{"op":"hangup-device","tenantId":"not-a-uuid"}');
      await redis.publish(
        RedisChannels.sipCommands,
        JSON.stringify({ op: 'hangup-device', tenantId: tenant.id, deviceId: tenant.devices[1].id, requestedBy: 'fraud:alert-1' }),
      );
      await bob.next((m) => m.method === 'BYE', 'BYE at the callee (the device named)', 1000);
      await alice.next((m) => m.method === 'BYE', 'BYE at the caller', 1000);
      expect((await cdr(call.callId)).hangup_cause).toMatch(/ended by fraud protection/);
      const metrics = await (await fetch(`http://127.0.0.1:${pbx.sip.opsPort}/metrics`)).text();
      expect(metrics).toMatch(/sip_commands_total\{op="unknown",outcome="invalid"[^}]*\} 1/);
      expect(metrics).toMatch(/sip_commands_total\{op="hangup-device",outcome="ended"[^}]*\} 1/);
    });
  });

  describe('when the app is killed mid-call', () => {
    let edge: TestEdge;
    let child: ChildProcess | undefined;
    let survivor: PbxUnderTest | undefined;
    afterAll(async () => {
      child?.kill('SIGKILL');
      await survivor?.close();
      await edge?.close();
    });

    it('another instance writes the CDR of the call the dead one carried, and removes it from the live calls', async () => {
      edge = await startTestEdge({ t1: 500 });
      const opsPort = await freePort();
      child = spawn(process.execPath, [join(__dirname, '../../dist/apps/sip/src/main.js')], {
        env: {
          ...process.env,
          DRACHTIO_HOST: '127.0.0.1',
          DRACHTIO_PORT: String(edge.adminPort),
          DRACHTIO_SECRET: EDGE_SECRET,
          AUDIT_HMAC_KEY: TEST_AUDIT_KEY,
          SIP_OPS_PORT: String(opsPort),
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
      const { alice } = await connect(edge.port('udp'));
      const call = await alice.call('1002');
      expect(call.final?.status).toBe(200);
      await liveState(call.callId, 'answered');
      await sleep(1200);

      child.kill('SIGKILL');
      await new Promise((r) => child?.once('exit', r));
      const killedAt = Date.now();
      // Nobody wrote a CDR: the process died before the call ended.
      expect(await db.query(`SELECT 1 FROM cdrs WHERE tenant_id = $1 AND call_id = $2`, [tenant.id, call.callId])).toHaveLength(0);

      // A dead instance's draft for a tenant deleted since: dropped, not retried on every sweep for ever.
      const ghostJournal = RedisKeys.sipJournal(`ghost-${randomUUID()}`);
      const ghostCall = { tenantId: randomUUID(), callId: `ghost-${randomUUID()}`, startedAt: new Date().toISOString() };
      await redis.hset(ghostJournal, `${ghostCall.tenantId}:${ghostCall.callId}`, JSON.stringify({ ...ghostCall, direction: 'internal', fromNumber: '1001', toNumber: '1002', disposition: 'failed' }), '__alive', String(Date.now()));

      survivor = await startPbx({ env: { SIP_INSTANCE_TTL_SECONDS: '3' } });
      const row = await cdr(call.callId, 10_000);
      expect(row).toMatchObject({ disposition: 'answered', hangup_cause: expect.stringMatching(/crash recovery/) });
      expect(row.answered_at).not.toBeNull();
      // It ended at the dead instance's last heartbeat: before the kill, not when recovery ran.
      expect((row.ended_at as Date).getTime()).toBeLessThanOrEqual(killedAt);
      await liveState(call.callId, null);
      expect(await redis.keys(`${RedisKeys.sipJournal('')}*`)).not.toContainEqual(expect.stringMatching(/:recovering$/));
      for (const deadline = Date.now() + 10_000; (await redis.exists(ghostJournal)) && Date.now() < deadline; ) await sleep(100);
      expect(await redis.exists(ghostJournal)).toBe(0);
    });
  });
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}
