import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fraud response. Alerts gain a dedupe key (one unresolved alert per key and tenant, enforced by a
 * partial unique index), when the finding was last seen, how often, and the recent event ids that
 * fed it (so a retried event never counts twice). A playbook per tenant maps severity to actions;
 * every action the worker takes is one row, unique per alert and kind (a retried job never acts
 * twice), holding what an undo needs. Spend roll-ups are the CDRs' daily and monthly sums per tenant.
 */
export class FraudResponse1765000350000 implements MigrationInterface {
  name = 'FraudResponse1765000350000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE alerts ADD COLUMN dedupe_key text NULL`);
    await q.query(`ALTER TABLE alerts ADD COLUMN last_seen_at timestamptz NULL`);
    await q.query(`ALTER TABLE alerts ADD COLUMN occurrences int NOT NULL DEFAULT 1`);
    await q.query(`ALTER TABLE alerts ADD COLUMN event_ids text[] NOT NULL DEFAULT '{}'`);
    await q.query(
      `CREATE UNIQUE INDEX uq_alerts_tenant_dedupe_unresolved ON alerts (tenant_id, dedupe_key) WHERE status <> 'resolved' AND dedupe_key IS NOT NULL`,
    );
    await q.query(`CREATE INDEX ix_alerts_unresolved_last_seen ON alerts (last_seen_at) WHERE status <> 'resolved'`);

    await q.query(`
      CREATE TABLE fraud_playbooks (
        tenant_id uuid NOT NULL,
        actions jsonb NOT NULL,
        lock_level smallint NOT NULL,
        webhook_url text NULL,
        webhook_secret_sealed text NULL,
        updated_by uuid NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_fraud_playbooks PRIMARY KEY (tenant_id),
        CONSTRAINT fk_fraud_playbooks_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
        CONSTRAINT ck_fraud_playbooks_lock_level CHECK (lock_level BETWEEN 1 AND 3),
        CONSTRAINT ck_fraud_playbooks_webhook CHECK (webhook_url IS NULL OR webhook_secret_sealed IS NOT NULL)
      )`);

    await q.query(`
      CREATE TABLE fraud_actions (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        alert_id uuid NOT NULL,
        device_id uuid NULL,
        kind text NOT NULL,
        outcome text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        undo_state jsonb NULL,
        undone_at timestamptz NULL,
        undone_by uuid NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_fraud_actions PRIMARY KEY (id),
        CONSTRAINT fk_fraud_actions_alert FOREIGN KEY (tenant_id, alert_id) REFERENCES alerts (tenant_id, id) ON DELETE CASCADE,
        CONSTRAINT uq_fraud_actions_alert_kind UNIQUE (alert_id, kind),
        CONSTRAINT ck_fraud_actions_outcome CHECK (outcome IN ('done', 'skipped', 'failed', 'undone'))
      )`);
    await q.query(`CREATE INDEX ix_fraud_actions_tenant_created ON fraud_actions (tenant_id, created_at DESC)`);

    await q.query(`
      CREATE TABLE spend_rollups (
        tenant_id uuid NOT NULL,
        period text NOT NULL,
        period_start date NOT NULL,
        amount numeric(14, 6) NOT NULL,
        calls int NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_spend_rollups PRIMARY KEY (tenant_id, period, period_start),
        CONSTRAINT fk_spend_rollups_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
        CONSTRAINT ck_spend_rollups_period CHECK (period IN ('day', 'month'))
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE spend_rollups`);
    await q.query(`DROP TABLE fraud_actions`);
    await q.query(`DROP TABLE fraud_playbooks`);
    await q.query(`DROP INDEX ix_alerts_unresolved_last_seen`);
    await q.query(`DROP INDEX uq_alerts_tenant_dedupe_unresolved`);
    for (const c of ['event_ids', 'occurrences', 'last_seen_at', 'dedupe_key']) await q.query(`ALTER TABLE alerts DROP COLUMN ${c}`);
  }
}
