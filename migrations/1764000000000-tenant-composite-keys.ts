import { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables whose rows belong to one tenant; each gains UNIQUE (tenant_id, id) so others can reference the pair. */
const OWNED = [
  'users',
  'refresh_tokens',
  'extensions',
  'devices',
  'trunks',
  'dids',
  'outbound_routes',
  'destination_rules',
  'source_rules',
  'rates',
  'cdrs',
  'alerts',
  'bans',
] as const;

interface Link {
  table: string;
  name: string;
  column: string;
  parent: string;
  onDelete: string;
  /** The single-column key it replaces, for `down`. */
  legacyOnDelete: string;
}

// ON DELETE SET NULL (column) (Postgres 15) clears only the link, never the row's tenant_id.
const LINKS: readonly Link[] = [
  {
    table: 'refresh_tokens',
    name: 'fk_refresh_tokens_user',
    column: 'user_id',
    parent: 'users',
    onDelete: 'CASCADE',
    legacyOnDelete: 'CASCADE',
  },
  {
    table: 'extensions',
    name: 'fk_extensions_user',
    column: 'user_id',
    parent: 'users',
    onDelete: 'SET NULL (user_id)',
    legacyOnDelete: 'SET NULL',
  },
  {
    table: 'devices',
    name: 'fk_devices_extension',
    column: 'extension_id',
    parent: 'extensions',
    onDelete: 'RESTRICT',
    legacyOnDelete: 'RESTRICT',
  },
  {
    table: 'dids',
    name: 'fk_dids_trunk',
    column: 'trunk_id',
    parent: 'trunks',
    onDelete: 'CASCADE',
    legacyOnDelete: 'CASCADE',
  },
  {
    table: 'dids',
    name: 'fk_dids_extension',
    column: 'extension_id',
    parent: 'extensions',
    onDelete: 'SET NULL (extension_id)',
    legacyOnDelete: 'SET NULL',
  },
  {
    table: 'outbound_routes',
    name: 'fk_outbound_routes_trunk',
    column: 'trunk_id',
    parent: 'trunks',
    onDelete: 'RESTRICT',
    legacyOnDelete: 'RESTRICT',
  },
  {
    table: 'device_policy_overrides',
    name: 'fk_device_policy_overrides_device',
    column: 'device_id',
    parent: 'devices',
    onDelete: 'CASCADE',
    legacyOnDelete: 'CASCADE',
  },
  {
    table: 'destination_rules',
    name: 'fk_destination_rules_device',
    column: 'device_id',
    parent: 'devices',
    onDelete: 'CASCADE',
    legacyOnDelete: 'CASCADE',
  },
  {
    table: 'source_rules',
    name: 'fk_source_rules_device',
    column: 'device_id',
    parent: 'devices',
    onDelete: 'CASCADE',
    legacyOnDelete: 'CASCADE',
  },
];

/**
 * Tenant isolation held by the schema: a row references another tenant-owned row by
 * (tenant_id, x_id), so the database itself refuses a link across tenants, whichever service
 * forgot a check. Existing cross-tenant links are never repaired silently: the migration stops
 * and names them, for an operator to decide.
 */
export class TenantCompositeKeys1764000000000 implements MigrationInterface {
  name = 'TenantCompositeKeys1764000000000';

  async up(q: QueryRunner): Promise<void> {
    const broken: string[] = [];
    for (const l of LINKS) {
      const rows: Array<{ n: number }> = await q.query(
        `SELECT count(*)::int AS n FROM ${l.table} c JOIN ${l.parent} p ON p.id = c.${l.column} WHERE p.tenant_id <> c.tenant_id`,
      );
      if (rows[0].n > 0)
        broken.push(`${l.table}.${l.column}: ${rows[0].n} row(s) linked to another tenant's ${l.parent}`);
    }
    if (broken.length)
      throw new Error(`cross-tenant links must be resolved before this migration: ${broken.join('; ')}`);

    for (const t of OWNED)
      await q.query(`ALTER TABLE ${t} ADD CONSTRAINT uq_${t}_tenant_id UNIQUE (tenant_id, id)`);
    for (const l of LINKS) {
      await q.query(`ALTER TABLE ${l.table} DROP CONSTRAINT ${l.name}`);
      await q.query(
        `ALTER TABLE ${l.table} ADD CONSTRAINT ${l.name} FOREIGN KEY (tenant_id, ${l.column}) REFERENCES ${l.parent} (tenant_id, id) ON DELETE ${l.onDelete}`,
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const l of LINKS) {
      await q.query(`ALTER TABLE ${l.table} DROP CONSTRAINT ${l.name}`);
      await q.query(
        `ALTER TABLE ${l.table} ADD CONSTRAINT ${l.name} FOREIGN KEY (${l.column}) REFERENCES ${l.parent} (id) ON DELETE ${l.legacyOnDelete}`,
      );
    }
    for (const t of OWNED) await q.query(`ALTER TABLE ${t} DROP CONSTRAINT uq_${t}_tenant_id`);
  }
}
