import { DataSource } from 'typeorm';
import { PERMISSIONS, ROLES } from '@pbx/common';

/** Arbitrary but fixed: every process that migrates this database takes the same lock. */
const MIGRATION_LOCK_KEY = 727_100_001;

/**
 * Runs pending migrations under a Postgres advisory lock (held on a connection of its own, so the
 * DataSource needs a pool of at least two), so two processes starting at once
 * don't race each other (the second waits, then finds nothing to do). Then syncs the RBAC
 * catalogue from code into its tables.
 */
export async function migrate(ds: DataSource): Promise<string[]> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const done = await ds.runMigrations({ transaction: 'each' });
      await syncRbac(ds);
      return done.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}

export async function revertLast(ds: DataSource): Promise<void> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await ds.undoLastMigration({ transaction: 'each' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}

async function syncRbac(ds: DataSource): Promise<void> {
  await ds.transaction(async (m) => {
    for (const [key, description] of Object.entries(PERMISSIONS)) {
      await m.query(
        `INSERT INTO permissions (key, description) VALUES ($1, $2)
         ON CONFLICT ON CONSTRAINT pk_permissions DO UPDATE SET description = EXCLUDED.description`,
        [key, description],
      );
    }
    for (const [key, role] of Object.entries(ROLES)) {
      await m.query(
        `INSERT INTO roles (key, name, description) VALUES ($1, $2, $3)
         ON CONFLICT ON CONSTRAINT pk_roles DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description`,
        [key, role.name, role.description],
      );
      await m.query(`DELETE FROM role_permissions WHERE role_key = $1 AND NOT (permission_key = ANY($2))`, [
        key,
        role.permissions,
      ]);
      for (const p of role.permissions) {
        await m.query(
          `INSERT INTO role_permissions (role_key, permission_key) VALUES ($1, $2)
           ON CONFLICT ON CONSTRAINT pk_role_permissions DO NOTHING`,
          [key, p],
        );
      }
    }
    await m.query(`DELETE FROM permissions WHERE NOT (key = ANY($1))`, [Object.keys(PERMISSIONS)]);
  });
}
