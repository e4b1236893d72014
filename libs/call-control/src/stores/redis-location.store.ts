import { REDIS_PREFIX, RedisKeys, type LiveRegistration } from '@pbx/common';
import type Redis from 'ioredis';
import type { Binding, RegisterOutcome } from '../register/bindings';
import type { LocationStore } from '../register/register.ports';

/** ZSET per source IP: `<tenant>:<device>:<binding key>` → expiry ms, for "does this IP hold a live registration". */
export const registrationsByIpKey = (ip: string) => `${REDIS_PREFIX}regip:${ip}`;

/** A binding as the API's live registrations read it (libs/common live.ts), plus what routing needs. */
export function toLiveRegistration(b: Binding): LiveRegistration {
  return {
    contact: b.contact,
    source_ip: b.sourceIp,
    source_port: b.sourcePort,
    transport: b.transport,
    user_agent: b.userAgent,
    expires_at: new Date(b.expiresAt).toISOString(),
    registered_at: new Date(b.registeredAt).toISOString(),
    edge: b.edge,
    instance_id: b.instanceId ?? null,
    reg_id: b.regId ?? null,
    path: b.path,
    call_id: b.callId,
    cseq: b.cseq,
  };
}

export function fromLiveRegistration(key: string, r: LiveRegistration): Binding {
  return {
    key,
    contact: r.contact,
    expiresAt: Date.parse(r.expires_at),
    registeredAt: r.registered_at ? Date.parse(r.registered_at) : Date.parse(r.expires_at),
    callId: r.call_id ?? '',
    cseq: r.cseq ?? 0,
    ...(r.instance_id ? { instanceId: r.instance_id } : {}),
    ...(r.reg_id !== undefined && r.reg_id !== null ? { regId: r.reg_id } : {}),
    path: r.path ?? [],
    sourceIp: r.source_ip,
    sourcePort: r.source_port ?? 0,
    transport: r.transport,
    edge: r.edge ?? null,
    userAgent: r.user_agent,
  };
}

/**
 * One REGISTER's change to a device's bindings, in one command: the hash entries, the per-IP index
 * and both expiries, applied atomically (a MULTI of 7+ commands cost the app more CPU than its digest).
 * KEYS: the device hash, the IP index of each upsert, then of each removal whose source IP is known.
 * ARGV: now, the hash's expiry (0: no binding left, delete it), the index member prefix, #upserts,
 * #removals, then per upsert field, JSON, expiry, then per removal field, 1 when it has an IP key.
 */
const APPLY_SCRIPT = `
local now, last, prefix = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local nUp, nRem = tonumber(ARGV[4]), tonumber(ARGV[5])
local a, k = 6, 2
local removed = {}
for i = 1, nUp do
  local field, exp = ARGV[a], ARGV[a + 2]
  redis.call('HSET', KEYS[1], field, ARGV[a + 1])
  redis.call('ZADD', KEYS[k], exp, prefix .. field)
  redis.call('ZREMRANGEBYSCORE', KEYS[k], '-inf', now)
  redis.call('PEXPIREAT', KEYS[k], exp, 'GT')
  redis.call('PEXPIREAT', KEYS[k], exp, 'NX')
  a, k = a + 3, k + 1
end
for i = 1, nRem do
  removed[i] = ARGV[a]
  if ARGV[a + 1] == '1' then
    redis.call('ZREM', KEYS[k], prefix .. ARGV[a])
    k = k + 1
  end
  a = a + 2
end
if nRem > 0 then redis.call('HDEL', KEYS[1], unpack(removed)) end
if last == 0 then redis.call('DEL', KEYS[1]) else redis.call('PEXPIREAT', KEYS[1], last) end
return 1`;

/**
 * The location service in Redis: one HASH per device (binding key → JSON, the format of live.ts)
 * that lives as long as its longest binding, and a ZSET per source IP. Entries carry their own
 * expiry, so a crashed registrar leaves nothing behind for long.
 */
export class RedisLocationStore implements LocationStore {
  private readonly run: (numberOfKeys: number, ...keysAndArgs: (string | number)[]) => Promise<unknown>;

  constructor(
    private readonly redis: Redis,
    private readonly parse: (raw: string) => LiveRegistration | null,
  ) {
    redis.defineCommand('pbxApplyBindings', { lua: APPLY_SCRIPT });
    const command = (redis as unknown as Record<'pbxApplyBindings', RedisLocationStore['run']>).pbxApplyBindings;
    this.run = command.bind(redis);
  }

  async bindings(tenantId: string, deviceId: string): Promise<Binding[]> {
    const all = await this.redis.hgetall(RedisKeys.deviceRegistrations(tenantId, deviceId));
    const out: Binding[] = [];
    for (const [key, raw] of Object.entries(all)) {
      const r = this.parse(raw);
      if (r) out.push(fromLiveRegistration(key, r));
    }
    return out;
  }

  async apply(tenantId: string, deviceId: string, change: Extract<RegisterOutcome, { kind: 'apply' }>): Promise<void> {
    const key = RedisKeys.deviceRegistrations(tenantId, deviceId);
    // Removals are rare (unregister, expiry, eviction): only then is the old entry read for its source IP.
    const removedRaw = change.removals.length ? await this.redis.hmget(key, ...change.removals) : [];
    const ipKeys: string[] = [];
    const last = Math.max(0, ...change.bindings.map((b) => b.expiresAt));
    const args: (string | number)[] = [Date.now(), last, `${tenantId}:${deviceId}:`, change.upserts.length, change.removals.length];
    for (const b of change.upserts) {
      ipKeys.push(registrationsByIpKey(b.sourceIp));
      args.push(b.key, JSON.stringify(toLiveRegistration(b)), b.expiresAt);
    }
    change.removals.forEach((k, i) => {
      const r = removedRaw[i] ? this.parse(removedRaw[i] as string) : null;
      if (r) ipKeys.push(registrationsByIpKey(r.source_ip));
      args.push(k, r ? 1 : 0);
    });
    await this.run(1 + ipKeys.length, key, ...ipKeys, ...args);
  }

  async ipHasLiveRegistration(ip: string, now: number): Promise<boolean> {
    return (await this.redis.zcount(registrationsByIpKey(ip), now, '+inf')) > 0;
  }
}
