import { banIp, normalizeIp, publishInvalidation, REDIS_PREFIX, unbannableReason } from '@pbx/common';
import type { AuditLogRepository, BansRepository, PolicyRepository } from '@pbx/database';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { banDurationMs, type BanPolicy } from '../screening/ban-policy';
import type { DeviceAccount, Enforcer } from '../register/register.ports';

export interface EnforcerDeps {
  redis: Redis;
  bans: BansRepository;
  policies: PolicyRepository;
  auditLog: AuditLogRepository;
  auditKey: string;
  banPolicy: BanPolicy;
  /** Tests only: lets loopback addresses other than the stack's own be banned. */
  allowLoopbackBans: boolean;
  logger: Pick<Logger, 'warn' | 'info'>;
}

const offencesKey = (ip: string) => `${REDIS_PREFIX}offences:${ip}`;
const countriesKey = (deviceId: string) => `${REDIS_PREFIX}regcountries:${deviceId}`;
const COUNTRY_MEMORY_S = 365 * 86_400;
/** The level that stops everything but emergency calls; it also makes the device's status 'locked'. */
const LOCKED_LEVEL = 3;

/**
 * The registrar's side effects, each recorded where an operator looks: platform bans in Postgres (the
 * API's ban list, swept when they expire) and on every edge's drop list at once; device locks with an
 * alert and a system audit entry; alerts for registrations from a new country.
 */
export class RegistrarEnforcer implements Enforcer {
  constructor(private readonly d: EnforcerDeps) {}

  async banIp(ip: string, source: 'scanner' | 'brute_force', reason: string, now: number): Promise<{ expiresAt: Date } | null> {
    const addr = normalizeIp(ip);
    if (!addr || unbannableReason(addr, { allowLoopback: this.d.allowLoopbackBans })) return null;
    const tx = this.d.redis.multi().incr(offencesKey(addr)).pexpire(offencesKey(addr), this.d.banPolicy.offenceMemoryMs);
    const offence = Number((await tx.exec())?.[0]?.[1] ?? 1);
    const expiresAt = new Date(now + banDurationMs(this.d.banPolicy, offence));
    // Redis first: the edges stop the attack within a second even if Postgres is slow.
    await banIp(this.d.redis, addr);
    const existing = await this.d.bans.findActive(null, addr);
    if (!existing)
      await this.d.bans.insert({ tenantId: null, ip: addr, reason: reason.slice(0, 500), source, expiresAt });
    this.d.logger.warn({ ip: addr, source, offence, expiresAt }, 'source banned at the SIP edge');
    return { expiresAt: existing?.expiresAt ?? expiresAt };
  }

  async lockDevice(device: DeviceAccount, reason: string): Promise<void> {
    const change = await this.d.policies.setDeviceLock(device.tenantId, device.id, LOCKED_LEVEL, reason.slice(0, 500), true);
    if (!change) return;
    const details = { device_id: device.id, reason, previous_lock_level: change.previous, lock_level: change.current };
    const alert = await this.d.policies.insertAlert({
      tenantId: device.tenantId,
      deviceId: device.id,
      kind: 'sip_auth_failures',
      severity: 'critical',
      title: `Device ${device.username} locked after repeated failed SIP logins`,
      details,
    });
    await this.d.auditLog.append(this.d.auditKey, {
      tenantId: device.tenantId,
      actorUserId: null,
      actorEmail: null,
      action: 'device.locked',
      targetType: 'device',
      targetId: device.id,
      ip: null,
      userAgent: 'system',
      result: 'success',
      metadata: { ...details, alert_id: alert.id },
    });
    await publishInvalidation(this.d.redis, 'device', device.tenantId, device.id);
    this.d.logger.warn({ tenantId: device.tenantId, deviceId: device.id }, 'device locked after failed SIP logins');
  }

  async noteRegistrationCountry(device: DeviceAccount, country: string, sourceIp: string): Promise<void> {
    const key = countriesKey(device.id);
    const res = await this.d.redis.multi().scard(key).sadd(key, country).expire(key, COUNTRY_MEMORY_S).exec();
    const knownBefore = Number(res?.[0]?.[1] ?? 0);
    const added = Number(res?.[1]?.[1] ?? 0);
    if (!added || knownBefore === 0) return;
    await this.d.policies.insertAlert({
      tenantId: device.tenantId,
      deviceId: device.id,
      kind: 'registration_new_country',
      severity: 'warning',
      title: `Device ${device.username} registered from a new country (${country})`,
      details: { device_id: device.id, country, source_ip: sourceIp },
    });
  }
}
