import { randomInt, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { TrunkChannels } from '../../libs/call-control/src';
import { createRedis, encrypt, parseKeyring, RedisKeys, trunkSecretAad } from '../../libs/common/src';
import { freeUdpPort } from '../sip-edge/helpers/edge-harness';
import { runSipp, type SippResult } from '../sip-edge/helpers/sipp';
import { createTenant, dropTenant, type TestTenant } from './helpers/accounts';
import { openDb, startPbx, type PbxUnderTest } from './helpers/pbx-harness';
import { Phone } from './helpers/phone';

const SCENARIOS = join(__dirname, 'scenarios');
const KEKS = `1:${Buffer.alloc(32, 7).toString('base64')}`;
/** The address the carrier's SBC sends from: the trunk's inbound CIDR. */
const CARRIER_IP = '127.0.0.77';

interface CdrRow {
  disposition: string;
  direction: string;
  device_id: string | null;
  trunk_id: string | null;
  from_number: string;
  to_number: string;
  destination_country: string | null;
  billable_seconds: number;
  hangup_cause: string;
}

describe('sip trunks: calls out through carriers that challenge, failover, and calls in to DIDs', () => {
  let pbx: PbxUnderTest;
  let db: DataSource;
  let redis: Redis;
  let tenant: TestTenant;
  const phones: Phone[] = [];
  const trunk = { auth: randomUUID(), down: randomUUID(), full: randomUUID() };
  const ports = { auth: 0, down: 0 };
  // DIDs are unique across tenants and runs.
  const did = `+4420794${String(randomInt(10_000, 99_999))}`;

  const phone = async (i: number, address = '127.0.0.1') => {
    const d = tenant.devices[i];
    const p = await Phone.open(
      { host: pbx.host, port: pbx.port('udp') },
      { username: d.username, password: d.password, realm: tenant.realm },
      address,
    );
    phones.push(p);
    return p;
  };
  /** A carrier's SBC as a raw phone at the trunk's address: From is the calling number at the carrier. */
  const carrierPhone = async () => {
    const p = await Phone.open(
      { host: pbx.host, port: pbx.port('udp') },
      { username: '+33142685300', password: 'unused', realm: CARRIER_IP },
      CARRIER_IP,
    );
    phones.push(p);
    return p;
  };
  const cdr = async (callId: string): Promise<CdrRow> => {
    for (const deadline = Date.now() + 5000; Date.now() < deadline;) {
      const rows = (await db.query(`SELECT * FROM cdrs WHERE tenant_id = $1 AND call_id = $2`, [
        tenant.id,
        callId,
      ])) as CdrRow[];
      if (rows[0]) return rows[0];
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no CDR for ${callId}`);
  };
  /** A carrier's SBC on loopback, running one call of a scenario. */
  const carrier = async (scenario: string, port: number): Promise<{ done: Promise<SippResult> }> => {
    const done = runSipp(
      [
        '-sf',
        join(SCENARIOS, scenario),
        '-i',
        '127.0.0.1',
        '-p',
        String(port),
        '-mp',
        String(port + 2),
        ...(process.env.SIPP_DEBUG
          ? [
              '-trace_msg',
              '-message_file',
              `/tmp/sipp-${scenario}.msg`,
              '-error_file',
              `/tmp/sipp-${scenario}.err`,
            ]
          : []),
      ],
      { timeoutS: 15 },
    );
    await new Promise((r) => setTimeout(r, 300));
    return { done };
  };

  beforeAll(async () => {
    db = await openDb();
    redis = createRedis(process.env.REDIS_URL as string, 'sip-trunks-test');
    // alice (1001) calls out; bob (1002) answers calls to the DID.
    tenant = await createTenant(db, [{ username: 'alice' }, { username: 'bob' }]);
    await db.query(`UPDATE tenants SET default_country = 'GB' WHERE id = $1`, [tenant.id]);
    ports.auth = await freeUdpPort();
    ports.down = await freeUdpPort();
    const ring = parseKeyring(KEKS);
    const addTrunk = async (
      id: string,
      name: string,
      port: number,
      opts: { secret?: string; cidrs?: string[]; max?: number } = {},
    ) =>
      db.query(
        `INSERT INTO trunks (id, tenant_id, name, host, port, transport, auth_username, auth_secret_ciphertext, auth_secret_key_version, inbound_cidrs, max_channels, status)
         VALUES ($1, $2, $3, '127.0.0.1', $4, 'udp', $5, $6, $7, $8, $9, 'active')`,
        [
          id,
          tenant.id,
          name,
          port,
          opts.secret ? 'acct-test' : null,
          opts.secret ? encrypt(opts.secret, ring, trunkSecretAad(tenant.id, id)) : null,
          opts.secret ? ring.current : null,
          opts.cidrs ?? [],
          opts.max ?? null,
        ],
      );
    await addTrunk(trunk.auth, 'carrier-a', ports.auth, {
      secret: 'carrier-secret-1',
      cidrs: [`${CARRIER_IP}/32`],
      max: 5,
    });
    await addTrunk(trunk.down, 'carrier-down', ports.down);
    await addTrunk(trunk.full, 'carrier-full', 9, { max: 0 });
    const route = (name: string, prefix: string, priority: number, trunkId: string) =>
      db.query(
        `INSERT INTO outbound_routes (tenant_id, name, prefix, priority, trunk_id) VALUES ($1, $2, $3, $4, $5)`,
        [tenant.id, name, prefix, priority, trunkId],
      );
    await route('london', '+4420', 10, trunk.auth);
    await route('france-primary', '+33', 1, trunk.down);
    await route('france-backup', '+33', 2, trunk.auth);
    await route('us-full', '+1', 1, trunk.full);
    await db.query(`INSERT INTO number_assignments (number, tenant_id) VALUES ($1, $2)`, [did, tenant.id]);
    await db.query(`INSERT INTO dids (tenant_id, trunk_id, number, extension_id) VALUES ($1, $2, $3, $4)`, [
      tenant.id,
      trunk.auth,
      did,
      tenant.devices[1].extensionId,
    ]);
    pbx = await startPbx({ env: { SECRETS_KEKS: KEKS } });
  });

  beforeEach(async () => {
    for (const d of tenant.devices) await redis.del(RedisKeys.deviceRegistrations(tenant.id, d.id));
  });

  afterAll(async () => {
    for (const p of phones) p.close();
    await pbx?.close();
    await db.query(`DELETE FROM cdrs WHERE tenant_id = $1`, [tenant.id]);
    await db.query(`DELETE FROM dids WHERE tenant_id = $1`, [tenant.id]);
    await db.query(`DELETE FROM number_assignments WHERE tenant_id = $1`, [tenant.id]);
    await db.query(`DELETE FROM outbound_routes WHERE tenant_id = $1`, [tenant.id]);
    await db.query(`DELETE FROM trunks WHERE tenant_id = $1`, [tenant.id]);
    await dropTenant(db, tenant.id);
    await db.destroy();
    await redis.quit();
  });

  it('calls a national number out through a trunk that challenges with 407, reaching BYE with a CDR', async () => {
    const sbc = await carrier('trunk-uas-auth.xml', ports.auth);
    const alice = await phone(0);
    expect(await alice.register()).toBe(200);
    // A London number dialled the British way: the tenant's country is GB.
    const call = await alice.call('020 7946 0321'.replace(/ /g, ''));
    expect(call.final?.status).toBe(200);
    // The carrier answered plain RTP; rtpengine gives the phone SRTP.
    expect(call.final?.body).toMatch(/RTP\/SAVP[\s\S]*a=crypto:/);
    await new Promise((r) => setTimeout(r, 1100));
    call.hangUp();
    await alice.next((m) => m.status === 200 && /BYE$/.test(m.header('CSeq') ?? ''), '200 to BYE');
    expect((await sbc.done).code).toBe(0);
    const row = await cdr(call.callId);
    expect(row).toMatchObject({
      disposition: 'answered',
      direction: 'outbound',
      device_id: tenant.devices[0].id,
      trunk_id: trunk.auth,
      from_number: 'alice',
      to_number: '+442079460321',
      destination_country: 'GB',
    });
    expect(row.billable_seconds).toBeGreaterThanOrEqual(1);
    // The call's channel on the trunk is given back.
    expect(await redis.zcard(`pbx:trunk:channels:${trunk.auth}`)).toBe(0);
  });

  it('fails over to the next trunk when the first answers 503; the next one checks the password itself (401)', async () => {
    const down = await carrier('trunk-uas-503.xml', ports.down);
    const sbc = await carrier('trunk-uas-www-auth.xml', ports.auth);
    const alice = await phone(0);
    expect(await alice.register()).toBe(200);
    const call = await alice.call('0033142685300');
    expect(call.final?.status).toBe(200);
    expect((await down.done).code).toBe(0);
    call.hangUp();
    expect((await sbc.done).code).toBe(0);
    expect(await cdr(call.callId)).toMatchObject({
      disposition: 'answered',
      trunk_id: trunk.auth,
      to_number: '+33142685300',
      destination_country: 'FR',
    });
  });

  it('refuses a number with no route (404 with a Warning) and one whose only trunk is at max_channels (503)', async () => {
    const alice = await phone(0);
    expect(await alice.register()).toBe(200);
    const noRoute = await alice.call('+4930123456');
    expect(noRoute.final?.status).toBe(404);
    expect(noRoute.final?.header('Warning')).toMatch(/^399 \S+ "no outbound route for \+4930123456"$/);
    const full = await alice.call('+12025550100');
    expect(full.final?.status).toBe(503);
    expect(await cdr(full.callId)).toMatchObject({
      direction: 'outbound',
      disposition: 'failed',
      to_number: '+12025550100',
    });
    const incomplete = await alice.call('02079');
    expect(incomplete.final?.status).toBe(484);
    // Every attempt of an authenticated caller has its CDR, placed or not.
    expect(await cdr(noRoute.callId)).toMatchObject({
      direction: 'outbound',
      disposition: 'failed',
      device_id: tenant.devices[0].id,
      to_number: '+4930123456',
      destination_country: 'DE',
    });
    expect(await cdr(incomplete.callId)).toMatchObject({
      disposition: 'failed',
      to_number: '02079',
      hangup_cause: '484 incomplete number 02079',
    });
  });

  it("rings the DID's extension when a carrier calls from the trunk's address", async () => {
    const bob = await phone(1);
    expect(await bob.register()).toBe(200);
    const sipp = await runSipp(
      [
        `${pbx.host}:${pbx.port('udp')}`,
        '-sf',
        join(SCENARIOS, 'trunk-uac-did.xml'),
        '-s',
        did,
        '-i',
        CARRIER_IP,
        '-p',
        String(await freeUdpPort()),
      ],
      {
        timeoutS: 15,
      },
    );
    expect(sipp.code).toBe(0);
    const invite = await bob.next((m) => m.method === 'INVITE', 'INVITE at bob');
    expect(invite.header('From')).toContain('+33142685300');
    await bob.next((m) => m.method === 'BYE', 'BYE at bob');
    const row = await cdr(await callIdOfInbound(db, tenant.id));
    expect(row).toMatchObject({
      disposition: 'answered',
      direction: 'inbound',
      device_id: null,
      trunk_id: trunk.auth,
      from_number: '+33142685300',
      to_number: did,
    });
  });

  it('answers 404 to a carrier calling a number that is not a DID here, without a challenge', async () => {
    const sbc = await carrierPhone();
    const call = await sbc.call('+442079469999');
    expect(call.final?.status).toBe(404);
    expect(call.final?.header('Warning')).toContain('no DID');
  });

  it("refuses a carrier's call with 503 while its trunk's channels are all taken", async () => {
    const bob = await phone(1);
    expect(await bob.register()).toBe(200);
    const key = `pbx:trunk:channels:${trunk.auth}`;
    for (let i = 0; i < 5; i++) await redis.zadd(key, Date.now() + 60_000, `busy-${i}`);
    try {
      const sbc = await carrierPhone();
      const call = await sbc.call(did);
      expect(call.final?.status).toBe(503);
      expect(call.final?.header('Warning')).toContain('max_channels');
      expect(await cdr(call.callId)).toMatchObject({
        direction: 'inbound',
        disposition: 'failed',
        trunk_id: trunk.auth,
        to_number: did,
      });
    } finally {
      await redis.del(key);
    }
  });

  it("lets a phone call from inside a trunk's CIDR: a call for no DID whose From is the tenant's domain is a device's", async () => {
    const alice = await phone(0, CARRIER_IP);
    expect(await alice.register()).toBe(200);
    const call = await alice.call('+4930123456');
    // Challenged and authenticated as alice (not answered 404 as a carrier's call for an unknown DID), then routed.
    expect(call.final?.status).toBe(404);
    expect(call.final?.header('Warning')).toContain('no outbound route');
  });

  it('never lets simultaneous calls take more channels of a trunk than it has', async () => {
    const channels = new TrunkChannels(redis, 60_000);
    const trunkId = randomUUID();
    const leases = await Promise.all(
      Array.from({ length: 20 }, (_, i) => channels.acquire(trunkId, 5, `call-${i}`)),
    );
    expect(leases.filter(Boolean)).toHaveLength(5);
    expect(await channels.inUse(trunkId)).toBe(5);
    await leases.find(Boolean)?.release();
    expect(await channels.acquire(trunkId, 5, 'late')).not.toBeNull();
    expect(await channels.acquire(trunkId, 5, 'later')).toBeNull();
    for (const l of leases) await l?.release();
    // Leases whose holders died lapse: five that expired a second ago do not block a new call.
    const key = `pbx:trunk:channels:${trunkId}`;
    await redis.del(key);
    for (let i = 0; i < 5; i++) await redis.zadd(key, Date.now() - 1000, `dead-${i}`);
    const after = await channels.acquire(trunkId, 5, 'after-crash');
    expect(after).not.toBeNull();
    await after?.release();
    await redis.del(key);
  });
});

/** The caller-side Call-ID of the tenant's latest inbound call (sipp's own Call-ID is not returned to the test). */
async function callIdOfInbound(db: DataSource, tenantId: string): Promise<string> {
  for (const deadline = Date.now() + 5000; Date.now() < deadline;) {
    const rows = (await db.query(
      `SELECT call_id FROM cdrs WHERE tenant_id = $1 AND direction = 'inbound' ORDER BY started_at DESC LIMIT 1`,
      [tenantId],
    )) as Array<{ call_id: string }>;
    if (rows[0]) return rows[0].call_id;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no inbound CDR');
}
