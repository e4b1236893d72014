import { MigrationInterface, QueryRunner } from 'typeorm';

export class Foundation1763800000000 implements MigrationInterface {
  name = 'Foundation1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS pgcrypto`);
    await q.query(`
      CREATE TABLE tenants (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        name text NOT NULL,
        slug text NOT NULL,
        status text NOT NULL DEFAULT 'active',
        default_country char(2) NOT NULL DEFAULT 'US',
        timezone text NOT NULL DEFAULT 'UTC',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_tenants PRIMARY KEY (id),
        CONSTRAINT uq_tenants_slug UNIQUE (slug),
        CONSTRAINT ck_tenants_status CHECK (status IN ('active', 'suspended'))
      )`);
    await q.query(`
      CREATE TABLE permissions (
        key text NOT NULL,
        description text NOT NULL,
        CONSTRAINT pk_permissions PRIMARY KEY (key)
      )`);
    await q.query(`
      CREATE TABLE roles (
        key text NOT NULL,
        name text NOT NULL,
        description text NOT NULL,
        CONSTRAINT pk_roles PRIMARY KEY (key)
      )`);
    await q.query(`
      CREATE TABLE role_permissions (
        role_key text NOT NULL,
        permission_key text NOT NULL,
        CONSTRAINT pk_role_permissions PRIMARY KEY (role_key, permission_key),
        CONSTRAINT fk_role_permissions_role FOREIGN KEY (role_key) REFERENCES roles (key) ON DELETE CASCADE,
        CONSTRAINT fk_role_permissions_permission FOREIGN KEY (permission_key) REFERENCES permissions (key) ON DELETE CASCADE
      )`);
    await q.query(`
      CREATE TABLE users (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        email text NOT NULL,
        name text NOT NULL,
        password_hash text NOT NULL,
        status text NOT NULL DEFAULT 'active',
        failed_login_attempts int NOT NULL DEFAULT 0,
        locked_until timestamptz NULL,
        last_login_at timestamptz NULL,
        password_changed_at timestamptz NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_users PRIMARY KEY (id),
        CONSTRAINT fk_users_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE RESTRICT,
        CONSTRAINT ck_users_status CHECK (status IN ('active', 'deactivated')),
        CONSTRAINT ck_users_email_lower CHECK (email = lower(email))
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_users_email ON users (email)`);
    await q.query(`CREATE INDEX ix_users_tenant_created ON users (tenant_id, created_at)`);
    await q.query(`
      CREATE TABLE user_roles (
        user_id uuid NOT NULL,
        role_key text NOT NULL,
        CONSTRAINT pk_user_roles PRIMARY KEY (user_id, role_key),
        CONSTRAINT fk_user_roles_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
        CONSTRAINT fk_user_roles_role FOREIGN KEY (role_key) REFERENCES roles (key) ON DELETE RESTRICT
      )`);
    await q.query(`
      CREATE TABLE refresh_tokens (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL,
        tenant_id uuid NOT NULL,
        family_id uuid NOT NULL,
        token_hash text NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz NULL,
        revoked_at timestamptz NULL,
        revoked_reason text NULL,
        ip text NULL,
        user_agent text NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_refresh_tokens PRIMARY KEY (id),
        CONSTRAINT uq_refresh_tokens_token_hash UNIQUE (token_hash),
        CONSTRAINT fk_refresh_tokens_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
        CONSTRAINT fk_refresh_tokens_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX ix_refresh_tokens_family ON refresh_tokens (family_id)`);
    await q.query(`CREATE INDEX ix_refresh_tokens_user ON refresh_tokens (user_id)`);
    await q.query(`CREATE INDEX ix_refresh_tokens_expires ON refresh_tokens (expires_at)`);
    await q.query(`
      CREATE TABLE audit_log (
        id bigint GENERATED ALWAYS AS IDENTITY,
        chain text NOT NULL,
        tenant_id uuid NULL,
        actor_user_id uuid NULL,
        actor_email text NULL,
        action text NOT NULL,
        target_type text NULL,
        target_id text NULL,
        ip text NULL,
        user_agent text NULL,
        result text NOT NULL,
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL,
        prev_hash char(64) NOT NULL,
        hash char(64) NOT NULL,
        CONSTRAINT pk_audit_log PRIMARY KEY (id),
        CONSTRAINT ck_audit_log_result CHECK (result IN ('success', 'failure', 'denied'))
      )`);
    await q.query(`CREATE INDEX ix_audit_log_chain_id ON audit_log (chain, id)`);
    await q.query(`CREATE INDEX ix_audit_log_tenant_created ON audit_log (tenant_id, created_at)`);
    await q.query(`CREATE INDEX ix_audit_log_action ON audit_log (action)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['audit_log', 'refresh_tokens', 'user_roles', 'users', 'role_permissions', 'roles', 'permissions', 'tenants']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}
