import { Inject, Injectable } from '@nestjs/common';
import { computeHa1, deniedSessionKey } from '@pbx/common';
import { AlertEntity, DevicesRepository, ExtensionsRepository, PolicyRepository, RefreshTokensRepository, TenantsRepository } from '@pbx/database';
import { lockLevelFor, type FraudAction, type Playbook } from '@pbx/fraud';
import type Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { WORKER_CONFIG, WorkerConfig } from '../config/worker-config';
import { WORKER_REDIS } from '../worker.tokens';

/** What one action did: for the audit entry and the action row, and what its undo needs. */
export interface ActionResult {
  outcome: 'done' | 'skipped';
  details: Record<string, unknown>;
  undo?: Record<string, unknown>;
}

export type AfterStep = { kind: 'invalidate'; what: 'policy' | 'device' | 'credentials' } | { kind: 'hangup-device' };

/**
 * What goes out after a done action commits: cache invalidations and the hang-up command. All are
 * idempotent, so a retry of a job that died after the commit sends them again rather than never.
 */
export function afterSteps(action: Exclude<FraudAction, 'notify'>, hasDevice: boolean): AfterStep[] {
  switch (action) {
    case 'raise-lock':
      return hasDevice ? [{ kind: 'invalidate', what: 'policy' }, { kind: 'invalidate', what: 'device' }] : [{ kind: 'invalidate', what: 'policy' }];
    case 'suspend-device':
      return [{ kind: 'invalidate', what: 'device' }, { kind: 'invalidate', what: 'credentials' }];
    case 'rotate-credentials':
      return [{ kind: 'invalidate', what: 'credentials' }];
    case 'hangup-calls':
      return [{ kind: 'hangup-device' }];
    case 'revoke-sessions':
      return [];
  }
}

/**
 * The database side of each containment action, run inside the caller's audited transaction.
 * Nothing here publishes: the caller does that after the commit (afterSteps).
 */
@Injectable()
export class Containment {
  constructor(
    private readonly devices: DevicesRepository,
    private readonly extensions: ExtensionsRepository,
    private readonly tenants: TenantsRepository,
    private readonly policies: PolicyRepository,
    private readonly refreshTokens: RefreshTokensRepository,
    @Inject(WORKER_REDIS) private readonly redis: Redis,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
  ) {}

  async run(action: Exclude<FraudAction, 'notify'>, alert: AlertEntity, playbook: Playbook): Promise<ActionResult> {
    const reason = `fraud alert ${alert.id}: ${alert.title}`.slice(0, 500);
    if (action === 'raise-lock') return this.raiseLock(alert, lockLevelFor(playbook, alert.details), reason);
    const device = alert.deviceId ? await this.devices.findInTenant(alert.tenantId, alert.deviceId) : null;
    if (!device) return { outcome: 'skipped', details: { reason: 'the device no longer exists' } };
    switch (action) {
      case 'suspend-device': {
        if (device.status === 'suspended') return { outcome: 'skipped', details: { reason: 'already suspended' } };
        await this.devices.update(device.id, { status: 'suspended' });
        return {
          outcome: 'done',
          details: { previous_status: device.status, status: 'suspended' },
          undo: { previousStatus: device.status },
        };
      }
      case 'hangup-calls':
        return { outcome: 'done', details: { command: 'hangup-device' } };
      case 'rotate-credentials': {
        const old = await this.devices.findDigests(device.tenantId, device.sipUsername);
        const tenant = await this.tenants.findById(device.tenantId);
        if (!old || !tenant) return { outcome: 'skipped', details: { reason: 'the device no longer exists' } };
        // A password no one is shown: the device is out until an admin issues new credentials or undoes this.
        const password = randomBytes(24).toString('base64url');
        const rotatedAt = new Date();
        await this.devices.setDigests(device.id, {
          ha1Md5: computeHa1('MD5', device.sipUsername, tenant.sipRealm, password),
          ha1Sha256: computeHa1('SHA-256', device.sipUsername, tenant.sipRealm, password),
        });
        const now = await this.devices.findInTenant(device.tenantId, device.id);
        return {
          outcome: 'done',
          details: { sip_username: device.sipUsername },
          undo: { ha1Md5: old.ha1Md5, ha1Sha256: old.ha1Sha256, rotatedAt: (now?.credentialsRotatedAt ?? rotatedAt).toISOString() },
        };
      }
      case 'revoke-sessions': {
        const ext = await this.extensions.findInTenant(device.tenantId, device.extensionId);
        if (!ext?.userId) return { outcome: 'skipped', details: { reason: "the device's extension has no user" } };
        const families = await this.refreshTokens.revokeAllForUser(ext.userId, `fraud:${alert.id}`);
        // Before the commit, on purpose: if it rolls back, the owner signs in again; never the reverse.
        await this.denySessions(families);
        return {
          outcome: 'done',
          details: { user_id: ext.userId, families_revoked: families.length },
          undo: { userId: ext.userId, families },
        };
      }
    }
  }

  /** The API's logout-all: each session's access tokens are refused until the last one expires. */
  private async denySessions(families: string[]): Promise<void> {
    if (!families.length) return;
    const multi = this.redis.multi();
    for (const sid of families) multi.set(deniedSessionKey(this.config.REDIS_KEY_PREFIX, sid), '1', 'EX', this.config.JWT_ACCESS_TTL_SECONDS + 5);
    await multi.exec();
  }

  /** Raises the device's lock (the tenant's for a tenant-wide alert); never lowers one. */
  private async raiseLock(alert: AlertEntity, level: number, reason: string): Promise<ActionResult> {
    const change = alert.deviceId
      ? await this.policies.setDeviceLock(alert.tenantId, alert.deviceId, level, reason, true)
      : await this.policies.raiseTenantLock(alert.tenantId, level, reason);
    if (!change) return { outcome: 'skipped', details: { reason: `lock level already at least ${level}` } };
    const scope = alert.deviceId ? 'device' : 'tenant';
    return {
      outcome: 'done',
      details: { scope, previous_lock_level: change.previous, lock_level: change.current },
      undo: { scope, previousLevel: change.previous, level: change.current },
    };
  }
}
