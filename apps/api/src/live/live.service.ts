import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import {
  LiveCall,
  parseLiveCall,
  parseLiveRegistration,
  RedisChannels,
  RedisKeys,
  SipCommand,
} from '@pbx/common';
import { CdrsRepository } from '@pbx/database';
import type Redis from 'ioredis';
import { AuditService } from '../audit/audit.service';
import { REDIS } from '../redis/redis.module';
import type { Principal, RequestMeta } from '../auth/principal';
import {
  presentCall,
  presentRegistration,
  LiveCallResource,
  LiveRegistrationResource,
} from './live.presenter';

const PIPELINE_BATCH = 500;

/**
 * Live state is written by the SIP app into Redis (see libs/common/src/live.ts) and only read here.
 * Values that do not parse are skipped rather than failing the whole answer.
 */
@Injectable()
export class LiveService {
  constructor(
    private readonly cdrs: CdrsRepository,
    private readonly audit: AuditService,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** Current bindings of the tenant's devices; a device of another tenant simply has none here. */
  async registrations(p: Principal, deviceId?: string): Promise<LiveRegistrationResource[]> {
    let ids = await this.cdrs.tenantDeviceIds(p.tenantId);
    if (deviceId) ids = ids.includes(deviceId) ? [deviceId] : [];
    const now = Date.now();
    const out: LiveRegistrationResource[] = [];
    for (let i = 0; i < ids.length; i += PIPELINE_BATCH) {
      const batch = ids.slice(i, i + PIPELINE_BATCH);
      const pipeline = this.redis.pipeline();
      for (const id of batch) pipeline.hgetall(RedisKeys.deviceRegistrations(p.tenantId, id));
      const results = (await pipeline.exec()) ?? [];
      results.forEach(([err, hash], j) => {
        if (err || !hash) return;
        for (const raw of Object.values(hash as Record<string, string>)) {
          const reg = parseLiveRegistration(raw);
          // A binding past its expiry is gone in SIP terms even if the registrar has not cleaned it up yet.
          if (reg && Date.parse(reg.expires_at) > now) out.push(presentRegistration(batch[j], reg));
        }
      });
    }
    return out.sort((a, b) => a.device_id.localeCompare(b.device_id) || a.contact.localeCompare(b.contact));
  }

  async calls(p: Principal, deviceId?: string): Promise<LiveCallResource[]> {
    const hash = await this.redis.hgetall(RedisKeys.tenantCalls(p.tenantId));
    const reveal = p.permissions.has('cdrs.view_numbers');
    return Object.values(hash)
      .map(parseLiveCall)
      .filter((c): c is LiveCall => c !== null && (!deviceId || c.device_id === deviceId))
      .sort((a, b) => b.started_at.localeCompare(a.started_at) || a.call_id.localeCompare(b.call_id))
      .map((c) => presentCall(c, reveal));
  }

  /**
   * Asks the SIP app to end a call. Pub/sub is fire-and-forget, hence 202: the call is gone from
   * GET /live/calls once the SIP app has hung it up and removed it.
   */
  async hangup(p: Principal, callId: string, meta: RequestMeta): Promise<void> {
    const exists = await this.redis.hexists(RedisKeys.tenantCalls(p.tenantId), callId);
    if (!exists) throw new NotFoundException();
    const command: SipCommand = { op: 'hangup', tenantId: p.tenantId, callId, requestedBy: p.userId };
    await this.redis.publish(RedisChannels.sipCommands, JSON.stringify(command));
    await this.audit.record({
      tenantId: p.tenantId,
      actor: p,
      target: { type: 'call', id: callId.slice(0, 200) },
      meta,
      action: 'live_call.hangup_requested',
      result: 'success',
      details: { call_id: callId },
    });
  }
}
