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
 * The location service in Redis: one HASH per device (binding key → JSON, the format of live.ts)
 * that lives as long as its longest binding, and a ZSET per source IP. Entries carry their own
 * expiry, so a crashed registrar leaves nothing behind for long.
 */
export class RedisLocationStore implements LocationStore {
  constructor(
    private readonly redis: Redis,
    private readonly parse: (raw: string) => LiveRegistration | null,
  ) {}

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
    const member = (k: string) => `${tenantId}:${deviceId}:${k}`;
    const removedIps = change.removals.length ? await this.redis.hmget(key, ...change.removals) : [];
    const tx = this.redis.multi();
    change.removals.forEach((k, i) => {
      const r = removedIps[i] ? this.parse(removedIps[i] as string) : null;
      if (r) tx.zrem(registrationsByIpKey(r.source_ip), member(k));
    });
    if (change.removals.length) tx.hdel(key, ...change.removals);
    for (const b of change.upserts) {
      tx.hset(key, b.key, JSON.stringify(toLiveRegistration(b)));
      const ipKey = registrationsByIpKey(b.sourceIp);
      tx.zadd(ipKey, b.expiresAt, member(b.key));
      tx.zremrangebyscore(ipKey, '-inf', Date.now());
      tx.pexpireat(ipKey, b.expiresAt, 'GT');
      tx.pexpireat(ipKey, b.expiresAt, 'NX');
    }
    const last = Math.max(0, ...change.bindings.map((b) => b.expiresAt));
    if (change.bindings.length === 0) tx.del(key);
    else tx.pexpireat(key, last);
    await tx.exec();
  }

  async ipHasLiveRegistration(ip: string, now: number): Promise<boolean> {
    return (await this.redis.zcount(registrationsByIpKey(ip), now, '+inf')) > 0;
  }
}
