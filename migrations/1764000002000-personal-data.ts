import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * GDPR erasure without rewriting history: from now on an audit row's chain hash covers a keyed
 * digest of its personal fields (actor email, IP, user agent) instead of the fields themselves,
 * so they can be erased later and the chain still verifies. Rows written before this keep
 * hashing their plaintext (personal_digest NULL) and cannot be erased without breaking the chain.
 * CDRs also name the policy rule row that decided the call, beside its readable label.
 */
export class PersonalData1764000002000 implements MigrationInterface {
  name = 'PersonalData1764000002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_log ADD COLUMN personal_digest char(64) NULL`);
    await q.query(`ALTER TABLE audit_log ADD COLUMN personal_erased_at timestamptz NULL`);
    await q.query(
      `ALTER TABLE audit_log ADD CONSTRAINT ck_audit_log_erasure CHECK (personal_erased_at IS NULL OR personal_digest IS NOT NULL)`,
    );
    await q.query(`CREATE INDEX ix_audit_log_actor_user ON audit_log (actor_user_id)`);
    await q.query(`ALTER TABLE cdrs ADD COLUMN deciding_rule_id uuid NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE cdrs DROP COLUMN deciding_rule_id`);
    await q.query(`DROP INDEX ix_audit_log_actor_user`);
    await q.query(`ALTER TABLE audit_log DROP CONSTRAINT ck_audit_log_erasure`);
    await q.query(`ALTER TABLE audit_log DROP COLUMN personal_erased_at`);
    await q.query(`ALTER TABLE audit_log DROP COLUMN personal_digest`);
  }
}
