import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Carriers that deliver calls only to a registered contact: a trunk can register upstream (RFC 3261
 * §10) with its auth username as the address of record, every `register_expires` seconds at most.
 */
export class TrunkRegistration1765000100000 implements MigrationInterface {
  name = 'TrunkRegistration1765000100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE trunks
        ADD COLUMN register boolean NOT NULL DEFAULT false,
        ADD COLUMN register_expires integer NOT NULL DEFAULT 600,
        ADD CONSTRAINT ck_trunks_register_expires CHECK (register_expires BETWEEN 60 AND 86400),
        ADD CONSTRAINT ck_trunks_register_aor CHECK (NOT register OR auth_username IS NOT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE trunks
        DROP CONSTRAINT ck_trunks_register_aor,
        DROP CONSTRAINT ck_trunks_register_expires,
        DROP COLUMN register_expires,
        DROP COLUMN register`);
  }
}
