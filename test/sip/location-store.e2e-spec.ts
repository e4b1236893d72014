import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { createRedis, parseLiveRegistration, RedisKeys } from '../../libs/common/src';
import { applyRegister, RedisLocationStore, registrationsByIpKey, type Binding } from '../../libs/call-control/src';

/**
 * The location store's one-command write (a Lua script) against the real Redis: the device hash in
 * live.ts's format, the per-IP index the ban logic reads, and their expiries, through upserts and removals.
 */
describe('RedisLocationStore', () => {
  let redis: Redis;
  let store: RedisLocationStore;
  const tenantId = randomUUID();
  const deviceId = randomUUID();
  const key = RedisKeys.deviceRegistrations(tenantId, deviceId);
  const ips = ['192.0.2.10', '192.0.2.11'];
  const member = (k: string) => `${tenantId}:${deviceId}:${k}`;
  const limits = { min: 60, max: 3600, default: 600 };

  beforeAll(() => {
    redis = createRedis(process.env.REDIS_URL as string, 'location-store-test');
    store = new RedisLocationStore(redis, parseLiveRegistration);
  });

  afterAll(async () => {
    await redis.del(key, ...ips.map(registrationsByIpKey));
    await redis.quit();
  });

  async function register(contacts: Array<{ uri: string; expires?: number }>, ip: string, cseq: number, now = Date.now()) {
    const existing = await store.bindings(tenantId, deviceId);
    const outcome = applyRegister({
      existing,
      contacts: { kind: 'list', contacts },
      callId: 'c1',
      cseq,
      now,
      limits,
      maxBindings: 2,
      origin: { path: ['<sip:edge.example;lr>'], sourceIp: ip, sourcePort: 5060, transport: 'udp', edge: '127.0.0.1:9022', userAgent: 'ua' },
    });
    if (outcome.kind !== 'apply') throw new Error(outcome.reason);
    await store.apply(tenantId, deviceId, outcome);
    return outcome;
  }

  it('writes bindings, indexes them by source IP, removes and evicts them with their index entries', async () => {
    const now = Date.now();
    await register([{ uri: 'sip:a@192.0.2.10:5060', expires: 120 }], ips[0], 1, now);
    await register([{ uri: 'sip:b@192.0.2.11:5060', expires: 300 }], ips[1], 2, now);

    const bound: Binding[] = await store.bindings(tenantId, deviceId);
    expect(bound.map((b) => [b.contact, b.sourceIp, b.path]).sort()).toEqual([
      ['sip:a@192.0.2.10:5060', ips[0], ['<sip:edge.example;lr>']],
      ['sip:b@192.0.2.11:5060', ips[1], ['<sip:edge.example;lr>']],
    ]);
    expect(parseLiveRegistration((await redis.hget(key, 'sip:a@192.0.2.10:5060')) as string)?.edge).toBe('127.0.0.1:9022');
    expect(await redis.zscore(registrationsByIpKey(ips[0]), member('sip:a@192.0.2.10:5060'))).toBe(String(now + 120_000));
    expect(await store.ipHasLiveRegistration(ips[1], now)).toBe(true);
    // The hash lives as long as its longest binding, each index as long as its longest entry.
    expect(await redis.pexpiretime(key)).toBe(now + 300_000);
    expect(await redis.pexpiretime(registrationsByIpKey(ips[0]))).toBe(now + 120_000);

    // A third contact from the first IP evicts the oldest binding (max 2); the second IP's index loses it.
    const third = await register([{ uri: 'sip:c@192.0.2.10:5070', expires: 600 }], ips[0], 3, now + 1);
    expect(third.kind === 'apply' && third.evicted).toHaveLength(1);
    expect((await store.bindings(tenantId, deviceId)).map((b) => b.contact).sort()).toEqual(
      [third.kind === 'apply' ? third.bindings.map((b) => b.contact) : []].flat().sort(),
    );
    const evictedKey = third.kind === 'apply' ? third.evicted[0] : '';
    const evictedIp = evictedKey === 'sip:a@192.0.2.10:5060' ? ips[0] : ips[1];
    expect(await redis.zscore(registrationsByIpKey(evictedIp), member(evictedKey))).toBeNull();
    expect(await redis.pexpiretime(key)).toBe(now + 1 + 600_000);

    // Unregistering everything deletes the hash and empties the indexes.
    for (const b of await store.bindings(tenantId, deviceId)) await register([{ uri: b.contact, expires: 0 }], b.sourceIp, 9, now + 2);
    expect(await redis.exists(key)).toBe(0);
    expect(await redis.zcard(registrationsByIpKey(ips[0]))).toBe(0);
    expect(await redis.zcard(registrationsByIpKey(ips[1]))).toBe(0);
    expect(await store.ipHasLiveRegistration(ips[0], now)).toBe(false);
  });
});
