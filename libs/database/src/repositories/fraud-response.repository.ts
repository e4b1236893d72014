import { Injectable } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import { FraudActionEntity, FraudActionOutcome, FraudPlaybookEntity } from '../entities';
import { managerOf } from '../unit-of-work';

export interface PlaybookRow {
  actions: Record<string, string[]>;
  lockLevel: number;
  webhookUrl: string | null;
  webhookSecretSealed: string | null;
}

@Injectable()
export class FraudPlaybooksRepository {
  constructor(private readonly ds: DataSource) {}

  private get repo(): Repository<FraudPlaybookEntity> {
    return managerOf(this.ds).getRepository(FraudPlaybookEntity);
  }

  find(tenantId: string): Promise<FraudPlaybookEntity | null> {
    return this.repo.findOneBy({ tenantId });
  }

  /** With the sealed webhook secret, for the worker that signs and the API that keeps it. */
  async findWithSecret(tenantId: string): Promise<(FraudPlaybookEntity & { webhookSecretSealed: string | null }) | null> {
    return this.repo
      .createQueryBuilder('p')
      .addSelect('p.webhookSecretSealed')
      .where('p.tenantId = :tenantId', { tenantId })
      .getOne();
  }

  async upsert(tenantId: string, row: PlaybookRow, updatedBy: string | null): Promise<void> {
    await this.repo.upsert({ tenantId, ...row, updatedBy, updatedAt: new Date() }, ['tenantId']);
  }

  async delete(tenantId: string): Promise<boolean> {
    return ((await this.repo.delete({ tenantId })).affected ?? 0) > 0;
  }
}

export interface ActionClaim {
  tenantId: string;
  alertId: string;
  deviceId: string | null;
  kind: string;
}

@Injectable()
export class FraudActionsRepository {
  constructor(private readonly ds: DataSource) {}

  private get repo(): Repository<FraudActionEntity> {
    return managerOf(this.ds).getRepository(FraudActionEntity);
  }

  /**
   * Claims the action for the alert inside the caller's transaction: the row's unique (alert, kind)
   * makes a concurrent or retried run wait for this one and then find it taken. Null: already taken.
   */
  async claim(c: ActionClaim): Promise<string | null> {
    const rows: Array<{ id: string }> = await managerOf(this.ds).query(
      `INSERT INTO fraud_actions (tenant_id, alert_id, device_id, kind, outcome)
       VALUES ($1, $2, $3, $4, 'done') ON CONFLICT (alert_id, kind) DO NOTHING RETURNING id`,
      [c.tenantId, c.alertId, c.deviceId, c.kind],
    );
    return rows[0]?.id ?? null;
  }

  async settle(
    id: string,
    outcome: FraudActionOutcome,
    details: Record<string, unknown>,
    undoState: Record<string, unknown> | null = null,
  ): Promise<void> {
    await managerOf(this.ds).query(`UPDATE fraud_actions SET outcome = $2, details = $3, undo_state = $4 WHERE id = $1`, [
      id,
      outcome,
      details,
      undoState,
    ]);
  }

  async kindsOf(alertId: string): Promise<string[]> {
    const rows = await this.repo.find({ select: { kind: true }, where: { alertId } });
    return rows.map((r) => r.kind);
  }

  async outcomeOf(alertId: string, kind: string): Promise<FraudActionOutcome | null> {
    return (await this.repo.findOne({ select: { outcome: true }, where: { alertId, kind } }))?.outcome ?? null;
  }

  listForAlert(tenantId: string, alertId: string): Promise<FraudActionEntity[]> {
    return this.repo.find({ where: { tenantId, alertId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** The action with what undo needs, locked until the caller's transaction ends. */
  findForUndo(tenantId: string, alertId: string, id: string): Promise<FraudActionEntity | null> {
    return this.repo
      .createQueryBuilder('a')
      .addSelect('a.undoState')
      .setLock('pessimistic_write')
      .where('a.tenantId = :tenantId AND a.alertId = :alertId AND a.id = :id', { tenantId, alertId, id })
      .getOne();
  }

  async markUndone(id: string, byUserId: string): Promise<void> {
    await this.repo.update({ id }, { outcome: 'undone', undoneAt: new Date(), undoneBy: byUserId });
  }
}

export interface SpendRollup {
  tenantId: string;
  timezone: string;
  period: 'day' | 'month';
  /** Tenant-local 'YYYY-MM-DD' (day) or 'YYYY-MM' (month), as the caps' Redis keys spell it. */
  periodKey: string;
  amount: number;
  calls: number;
}

/** Daily and monthly spend per tenant summed from the CDRs, in each tenant's own calendar. */
@Injectable()
export class SpendRollupsRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Recomputes the roll-ups of today and this month from the CDRs and returns them:
   * the current periods around `now` (the tenant-local today and this month). A call counts
   * on the day it ended, as the SIP app's spend counters count it.
   */
  async rollUp(now: Date): Promise<SpendRollup[]> {
    const m = managerOf(this.ds);
    const rows: Array<{ tenant_id: string; timezone: string; period: 'day' | 'month'; period_start: string; amount: string; calls: number }> =
      await m.query(
        `WITH touched AS (
           SELECT c.tenant_id, t.timezone, (COALESCE(c.ended_at, c.started_at) AT TIME ZONE t.timezone) AS local_end, c.cost
             FROM cdrs c JOIN tenants t ON t.id = c.tenant_id
            WHERE COALESCE(c.ended_at, c.started_at) >= date_trunc('month', $1::timestamptz) - interval '1 day' AND c.cost > 0
         ), sums AS (
           SELECT tenant_id, timezone, 'day' AS period, local_end::date AS period_start, sum(cost) AS amount, count(*)::int AS calls
             FROM touched WHERE local_end >= ($1::timestamptz AT TIME ZONE timezone)::date GROUP BY 1, 2, 4
           UNION ALL
           SELECT tenant_id, timezone, 'month', date_trunc('month', local_end)::date, sum(cost), count(*)::int
             FROM touched WHERE local_end >= date_trunc('month', $1::timestamptz AT TIME ZONE timezone) GROUP BY 1, 2, 4
         ), upserted AS (
           INSERT INTO spend_rollups (tenant_id, period, period_start, amount, calls, updated_at)
           SELECT tenant_id, period, period_start, amount, calls, now() FROM sums
           ON CONFLICT (tenant_id, period, period_start) DO UPDATE SET amount = EXCLUDED.amount, calls = EXCLUDED.calls, updated_at = now()
           RETURNING tenant_id
         )
         SELECT tenant_id, timezone, period, to_char(period_start, 'YYYY-MM-DD') AS period_start, amount::text, calls FROM sums`,
        [now],
      );
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      timezone: r.timezone,
      period: r.period,
      periodKey: r.period === 'day' ? r.period_start : r.period_start.slice(0, 7),
      amount: Number(r.amount),
      calls: r.calls,
    }));
  }

  async find(tenantId: string, period: 'day' | 'month', periodStart: string): Promise<{ amount: number; calls: number } | null> {
    const rows: Array<{ amount: string; calls: number }> = await managerOf(this.ds).query(
      `SELECT amount::text, calls FROM spend_rollups WHERE tenant_id = $1 AND period = $2 AND period_start = $3`,
      [tenantId, period, periodStart],
    );
    return rows[0] ? { amount: Number(rows[0].amount), calls: rows[0].calls } : null;
  }
}
