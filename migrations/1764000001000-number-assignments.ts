import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Public numbers are the platform's to hand out: a platform admin assigns a number to a tenant,
 * and a tenant's DID can only use a number assigned to it (and, by the composite key on trunks,
 * only its own trunk delivers it). Existing DIDs keep their numbers: each becomes an assignment
 * to the tenant that holds it.
 */
export class NumberAssignments1764000001000 implements MigrationInterface {
  name = 'NumberAssignments1764000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE number_assignments (
        number text NOT NULL,
        tenant_id uuid NOT NULL,
        assigned_by uuid NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_number_assignments PRIMARY KEY (number),
        CONSTRAINT uq_number_assignments_tenant_number UNIQUE (tenant_id, number),
        CONSTRAINT fk_number_assignments_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
        CONSTRAINT ck_number_assignments_number CHECK (number ~ '^\\+[1-9][0-9]{5,14}$')
      )`);
    await q.query(
      `INSERT INTO number_assignments (number, tenant_id, created_at) SELECT number, tenant_id, created_at FROM dids`,
    );
    await q.query(
      `ALTER TABLE dids ADD CONSTRAINT fk_dids_number FOREIGN KEY (tenant_id, number)
         REFERENCES number_assignments (tenant_id, number) ON DELETE RESTRICT`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dids DROP CONSTRAINT fk_dids_number`);
    await q.query(`DROP TABLE number_assignments`);
  }
}
