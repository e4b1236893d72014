import { Injectable, NotFoundException } from '@nestjs/common';
import {
  AlertsRepository,
  DevicesRepository,
  FraudActionEntity,
  FraudActionsRepository,
  PolicyRepository,
  RefreshTokensRepository,
  TenantsRepository,
} from '@pbx/database';
import { FraudAction, UNDOABLE_ACTIONS } from '@pbx/fraud';
import { AuditService } from '../audit/audit.service';
import { RevocationService } from '../auth/revocation.service';
import type { Principal, RequestMeta } from '../auth/principal';
import { unprocessable } from '../http/validation';
import { PolicyRuntime } from '../policy/policy-runtime.service';
import { InvalidationService } from '../redis/invalidation.service';

type UndoState = Record<string, unknown>;

/**
 * What the fraud worker did for an alert, and taking it back. An undo checks that no one changed
 * the thing since (a lock raised further, credentials rotated again), so it never overrides a
 * later decision; it is audited with the alert and the action it undoes, in the same transaction.
 */
@Injectable()
export class FraudActionsService {
  constructor(
    private readonly alerts: AlertsRepository,
    private readonly actions: FraudActionsRepository,
    private readonly devices: DevicesRepository,
    private readonly tenants: TenantsRepository,
    private readonly policies: PolicyRepository,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly runtime: PolicyRuntime,
    private readonly invalidation: InvalidationService,
    private readonly revocation: RevocationService,
    private readonly audit: AuditService,
  ) {}

  async list(p: Principal, alertId: string): Promise<FraudActionEntity[]> {
    if (!(await this.alerts.findInTenant(p.tenantId, alertId))) throw new NotFoundException();
    return this.actions.listForAlert(p.tenantId, alertId);
  }

  async undo(p: Principal, alertId: string, actionId: string, meta: RequestMeta): Promise<FraudActionEntity> {
    return this.audit.change(async () => {
      const action = await this.actions.findForUndo(p.tenantId, alertId, actionId);
      if (!action) throw new NotFoundException();
      if (!UNDOABLE_ACTIONS.includes(action.kind as FraudAction))
        throw unprocessable({ action: [`A ${action.kind} action cannot be undone.`] });
      if (action.outcome !== 'done') throw unprocessable({ action: [`The action is ${action.outcome}; only a done action can be undone.`] });
      const details = await this.revert(action, action.undoState ?? {});
      await this.actions.markUndone(action.id, p.userId);
      await this.audit.record({
        tenantId: p.tenantId,
        actor: p,
        target: action.deviceId ? { type: 'device', id: action.deviceId } : { type: 'tenant', id: p.tenantId },
        meta,
        action: `fraud.action.${action.kind}.undone`,
        result: 'success',
        details: { alert_id: alertId, action_id: action.id, ...details },
      });
      return (await this.actions.listForAlert(p.tenantId, alertId)).find((a) => a.id === action.id) as FraudActionEntity;
    });
  }

  private async revert(action: FraudActionEntity, undo: UndoState): Promise<Record<string, unknown>> {
    const { tenantId, deviceId } = action;
    switch (action.kind as FraudAction) {
      case 'raise-lock': {
        const previous = Number(undo.previousLevel ?? 0);
        const level = Number(undo.level);
        if (undo.scope === 'tenant') {
          const tenant = await this.tenants.findById(tenantId);
          if (tenant?.lockLevel !== level) throw changedSince(`The tenant's lock level is now ${tenant?.lockLevel}`);
          await this.policies.setTenantLock(tenantId, previous, null);
          await this.runtime.changed(tenantId, null);
        } else {
          const device = deviceId ? await this.devices.findInTenant(tenantId, deviceId) : null;
          if (!device) throw gone();
          if (device.lockLevel !== level) throw changedSince(`The device's lock level is now ${device.lockLevel}`);
          await this.policies.setDeviceLock(tenantId, device.id, previous, null);
          await this.runtime.changed(tenantId, device.id, ['policy', 'device']);
        }
        return { lock_level: previous, previous_lock_level: level };
      }
      case 'suspend-device': {
        const device = deviceId ? await this.devices.findInTenant(tenantId, deviceId) : null;
        if (!device) throw gone();
        if (device.status !== 'suspended') throw changedSince(`The device is now ${device.status}`);
        // Back in service; a lock still in force keeps it locked (a lock undone meanwhile does not).
        const status = device.lockLevel > 0 ? 'locked' : 'active';
        await this.devices.update(device.id, { status });
        await this.invalidation.publish('device', tenantId, device.id);
        await this.invalidation.publish('credentials', tenantId, device.id);
        return { status };
      }
      case 'rotate-credentials': {
        const device = deviceId ? await this.devices.findInTenant(tenantId, deviceId) : null;
        if (!device) throw gone();
        const restored = await this.devices.restoreDigests(
          device.id,
          { ha1Md5: String(undo.ha1Md5), ha1Sha256: String(undo.ha1Sha256) },
          new Date(String(undo.rotatedAt)),
        );
        if (!restored) throw changedSince("The device's credentials were rotated again");
        await this.invalidation.publish('credentials', tenantId, device.id);
        return { credentials: 'restored' };
      }
      case 'revoke-sessions': {
        const families = Array.isArray(undo.families) ? (undo.families as string[]) : [];
        const restored = await this.refreshTokens.restoreFamilies(String(undo.userId), families, `fraud:${action.alertId}`);
        await this.revocation.allowSessions(families);
        return { user_id: undo.userId, tokens_restored: restored };
      }
      default:
        throw unprocessable({ action: [`A ${action.kind} action cannot be undone.`] });
    }
  }
}

const changedSince = (what: string) =>
  unprocessable({ action: [`${what}: it changed since the fraud action, so undoing it would override a later decision.`] });
const gone = () => unprocessable({ action: ['The device no longer exists.'] });
