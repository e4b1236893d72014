import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Telephony configuration and fraud policy: extensions, devices (digest HA1s only), trunks
 * (outbound secret encrypted with AES-256-GCM), DIDs, outbound routes, fraud policy with
 * per-device overrides, destination rules, rates, source (IP/geo) rules, CDRs, alerts, bans.
 */
export class Telephony1763900000000 implements MigrationInterface {
  name = 'Telephony1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenants ADD COLUMN sip_realm text`);
    await q.query(`UPDATE tenants SET sip_realm = slug`);
    await q.query(`ALTER TABLE tenants ALTER COLUMN sip_realm SET NOT NULL`);
    await q.query(`ALTER TABLE tenants ADD CONSTRAINT uq_tenants_sip_realm UNIQUE (sip_realm)`);
    await q.query(`ALTER TABLE tenants ADD COLUMN lock_level smallint NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE tenants ADD COLUMN lock_reason text NULL`);
    await q.query(`ALTER TABLE tenants ADD CONSTRAINT ck_tenants_lock_level CHECK (lock_level BETWEEN 0 AND 3)`);

    await q.query(`
      CREATE TABLE extensions (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        number text NOT NULL,
        name text NOT NULL,
        user_id uuid NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_extensions PRIMARY KEY (id),
        CONSTRAINT uq_extensions_tenant_number UNIQUE (tenant_id, number),
        CONSTRAINT fk_extensions_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
        CONSTRAINT fk_extensions_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL,
        CONSTRAINT ck_extensions_number CHECK (number ~ '^[0-9]{2,10}$')
      )`);

    await q.query(`
      CREATE TABLE devices (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        extension_id uuid NOT NULL,
        name text NOT NULL,
        sip_username text NOT NULL,
        ha1_md5 char(32) NOT NULL,
        ha1_sha256 char(64) NOT NULL,
        digest_algorithms text[] NOT NULL DEFAULT '{SHA-256,MD5}',
        transports text[] NOT NULL DEFAULT '{tls,wss}',
        allowed_cidrs text[] NOT NULL DEFAULT '{}',
        max_registrations int NOT NULL DEFAULT 3,
        status text NOT NULL DEFAULT 'active',
        lock_level smallint NOT NULL DEFAULT 0,
        lock_reason text NULL,
        credentials_rotated_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_devices PRIMARY KEY (id),
        CONSTRAINT uq_devices_tenant_sip_username UNIQUE (tenant_id, sip_username),
        CONSTRAINT fk_devices_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
        CONSTRAINT fk_devices_extension FOREIGN KEY (extension_id) REFERENCES extensions (id) ON DELETE RESTRICT,
        CONSTRAINT ck_devices_status CHECK (status IN ('active', 'suspended', 'locked')),
        CONSTRAINT ck_devices_lock_level CHECK (lock_level BETWEEN 0 AND 3),
        CONSTRAINT ck_devices_max_registrations CHECK (max_registrations BETWEEN 1 AND 100),
        CONSTRAINT ck_devices_digest_algorithms CHECK (digest_algorithms <@ ARRAY['SHA-256', 'MD5']::text[] AND cardinality(digest_algorithms) > 0),
        CONSTRAINT ck_devices_transports CHECK (transports <@ ARRAY['udp', 'tcp', 'tls', 'ws', 'wss']::text[] AND cardinality(transports) > 0)
      )`);
    await q.query(`CREATE INDEX ix_devices_extension ON devices (extension_id)`);

    await q.query(`
      CREATE TABLE trunks (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        name text NOT NULL,
        host text NOT NULL,
        port int NOT NULL DEFAULT 5061,
        transport text NOT NULL DEFAULT 'tls',
        auth_username text NULL,
        auth_secret_ciphertext text NULL,
        auth_secret_key_version int NULL,
        inbound_cidrs text[] NOT NULL DEFAULT '{}',
        max_channels int NULL,
        status text NOT NULL DEFAULT 'active',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_trunks PRIMARY KEY (id),
        CONSTRAINT uq_trunks_tenant_name UNIQUE (tenant_id, name),
        CONSTRAINT fk_trunks_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
        CONSTRAINT ck_trunks_transport CHECK (transport IN ('udp', 'tcp', 'tls')),
        CONSTRAINT ck_trunks_port CHECK (port BETWEEN 1 AND 65535),
        CONSTRAINT ck_trunks_status CHECK (status IN ('active', 'disabled')),
        CONSTRAINT ck_trunks_secret_versioned CHECK ((auth_secret_ciphertext IS NULL) = (auth_secret_key_version IS NULL))
      )`);

    await q.query(`
      CREATE TABLE dids (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        trunk_id uuid NOT NULL,
        number text NOT NULL,
        extension_id uuid NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_dids PRIMARY KEY (id),
        CONSTRAINT uq_dids_number UNIQUE (number),
        CONSTRAINT fk_dids_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
        CONSTRAINT fk_dids_trunk FOREIGN KEY (trunk_id) REFERENCES trunks (id) ON DELETE CASCADE,
        CONSTRAINT fk_dids_extension FOREIGN KEY (extension_id) REFERENCES extensions (id) ON DELETE SET NULL,
        CONSTRAINT ck_dids_number CHECK (number ~ '^\\+[1-9][0-9]{5,14}$')
      )`);

    await q.query(`
      CREATE TABLE outbound_routes (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        name text NOT NULL,
        prefix text NOT NULL DEFAULT '',
        priority int NOT NULL DEFAULT 100,
        trunk_id uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_outbound_routes PRIMARY KEY (id),
        CONSTRAINT uq_outbound_routes_tenant_name UNIQUE (tenant_id, name),
        CONSTRAINT fk_outbound_routes_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
        CONSTRAINT fk_outbound_routes_trunk FOREIGN KEY (trunk_id) REFERENCES trunks (id) ON DELETE RESTRICT,
        CONSTRAINT ck_outbound_routes_prefix CHECK (prefix ~ '^\\+?[0-9]{0,15}$')
      )`);
    await q.query(`CREATE INDEX ix_outbound_routes_tenant_priority ON outbound_routes (tenant_id, priority)`);

    await q.query(`
      CREATE TABLE fraud_policies (
        tenant_id uuid NOT NULL,
        allow_high_risk boolean NOT NULL DEFAULT false,
        allow_fraud boolean NOT NULL DEFAULT false,
        max_duration_seconds int NULL DEFAULT 7200,
        max_concurrent int NULL DEFAULT 2,
        max_calls_per_minute int NULL DEFAULT 10,
        max_calls_per_hour int NULL DEFAULT 120,
        tenant_max_concurrent int NULL,
        tenant_max_calls_per_minute int NULL,
        tenant_max_calls_per_hour int NULL,
        daily_cap numeric(14, 4) NULL,
        monthly_cap numeric(14, 4) NULL,
        daily_escalation smallint NOT NULL DEFAULT 1,
        monthly_escalation smallint NOT NULL DEFAULT 2,
        step_up_first_calls int NULL DEFAULT 3,
        step_up_max_duration_seconds int NULL DEFAULT 300,
        wangiri_window_seconds int NULL DEFAULT 3600,
        intl_hours_days int[] NULL,
        intl_hours_start text NULL,
        intl_hours_end text NULL,
        emergency_numbers text[] NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_fraud_policies PRIMARY KEY (tenant_id),
        CONSTRAINT fk_fraud_policies_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
        CONSTRAINT ck_fraud_policies_escalation CHECK (daily_escalation BETWEEN 0 AND 3 AND monthly_escalation BETWEEN 0 AND 3),
        CONSTRAINT ck_fraud_policies_hours CHECK ((intl_hours_start IS NULL) = (intl_hours_end IS NULL))
      )`);

    await q.query(`
      CREATE TABLE device_policy_overrides (
        device_id uuid NOT NULL,
        tenant_id uuid NOT NULL,
        max_duration_seconds int NULL,
        max_concurrent int NULL,
        max_calls_per_minute int NULL,
        max_calls_per_hour int NULL,
        step_up_enabled boolean NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_device_policy_overrides PRIMARY KEY (device_id),
        CONSTRAINT fk_device_policy_overrides_device FOREIGN KEY (device_id) REFERENCES devices (id) ON DELETE CASCADE,
        CONSTRAINT fk_device_policy_overrides_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
      )`);

    await q.query(`
      CREATE TABLE destination_rules (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        device_id uuid NULL,
        kind text NOT NULL,
        prefix text NULL,
        country char(2) NULL,
        action text NOT NULL,
        note text NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_destination_rules PRIMARY KEY (id),
        CONSTRAINT fk_destination_rules_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
        CONSTRAINT fk_destination_rules_device FOREIGN KEY (device_id) REFERENCES devices (id) ON DELETE CASCADE,
        CONSTRAINT ck_destination_rules_kind CHECK (
          (kind = 'prefix' AND prefix ~ '^\\+?[0-9]{1,15}$' AND country IS NULL) OR
          (kind = 'country' AND country ~ '^[A-Z]{2}$' AND prefix IS NULL)),
        CONSTRAINT ck_destination_rules_action CHECK (action IN ('allow', 'deny'))
      )`);
    await q.query(`
      CREATE UNIQUE INDEX uq_destination_rules_target ON destination_rules
        (tenant_id, coalesce(device_id, '00000000-0000-0000-0000-000000000000'::uuid), kind, coalesce(prefix, ''), coalesce(country, ''))`);

    await q.query(`
      CREATE TABLE rates (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        prefix text NOT NULL,
        per_minute numeric(12, 6) NOT NULL,
        first_increment_seconds int NOT NULL DEFAULT 60,
        connection_fee numeric(12, 6) NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_rates PRIMARY KEY (id),
        CONSTRAINT uq_rates_tenant_prefix UNIQUE (tenant_id, prefix),
        CONSTRAINT fk_rates_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
        CONSTRAINT ck_rates_prefix CHECK (prefix ~ '^\\+?[0-9]{1,15}$'),
        CONSTRAINT ck_rates_values CHECK (per_minute >= 0 AND connection_fee >= 0 AND first_increment_seconds BETWEEN 1 AND 3600)
      )`);

    await q.query(`
      CREATE TABLE source_rules (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        device_id uuid NULL,
        kind text NOT NULL,
        value text NOT NULL,
        applies_to text NOT NULL DEFAULT 'both',
        note text NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_source_rules PRIMARY KEY (id),
        CONSTRAINT fk_source_rules_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
        CONSTRAINT fk_source_rules_device FOREIGN KEY (device_id) REFERENCES devices (id) ON DELETE CASCADE,
        CONSTRAINT ck_source_rules_kind CHECK (kind IN ('cidr_allow', 'country_allow', 'country_deny')),
        CONSTRAINT ck_source_rules_applies_to CHECK (applies_to IN ('registration', 'call', 'both'))
      )`);
    await q.query(`
      CREATE UNIQUE INDEX uq_source_rules_target ON source_rules
        (tenant_id, coalesce(device_id, '00000000-0000-0000-0000-000000000000'::uuid), kind, value, applies_to)`);

    await q.query(`
      CREATE TABLE cdrs (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        call_id text NOT NULL,
        direction text NOT NULL,
        device_id uuid NULL,
        extension_id uuid NULL,
        trunk_id uuid NULL,
        from_number text NOT NULL,
        to_number text NOT NULL,
        destination_country char(2) NULL,
        source_ip text NULL,
        started_at timestamptz NOT NULL,
        answered_at timestamptz NULL,
        ended_at timestamptz NULL,
        duration_seconds int NOT NULL DEFAULT 0,
        billable_seconds int NOT NULL DEFAULT 0,
        disposition text NOT NULL,
        hangup_cause text NULL,
        cost numeric(14, 6) NOT NULL DEFAULT 0,
        policy_decision text NULL,
        policy_rule_id text NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_cdrs PRIMARY KEY (id),
        CONSTRAINT uq_cdrs_tenant_call_id UNIQUE (tenant_id, call_id),
        CONSTRAINT fk_cdrs_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
        CONSTRAINT ck_cdrs_direction CHECK (direction IN ('inbound', 'outbound', 'internal')),
        CONSTRAINT ck_cdrs_disposition CHECK (disposition IN ('answered', 'busy', 'no_answer', 'failed', 'cancelled', 'denied'))
      )`);
    await q.query(`CREATE INDEX ix_cdrs_tenant_started ON cdrs (tenant_id, started_at DESC)`);
    await q.query(`CREATE INDEX ix_cdrs_tenant_device_started ON cdrs (tenant_id, device_id, started_at DESC)`);

    await q.query(`
      CREATE TABLE alerts (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        device_id uuid NULL,
        kind text NOT NULL,
        severity text NOT NULL,
        status text NOT NULL DEFAULT 'open',
        title text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        acknowledged_by uuid NULL,
        acknowledged_at timestamptz NULL,
        resolved_by uuid NULL,
        resolved_at timestamptz NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_alerts PRIMARY KEY (id),
        CONSTRAINT fk_alerts_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
        CONSTRAINT ck_alerts_severity CHECK (severity IN ('info', 'warning', 'critical')),
        CONSTRAINT ck_alerts_status CHECK (status IN ('open', 'acknowledged', 'resolved'))
      )`);
    await q.query(`CREATE INDEX ix_alerts_tenant_status_created ON alerts (tenant_id, status, created_at DESC)`);

    await q.query(`
      CREATE TABLE bans (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        tenant_id uuid NULL,
        ip text NOT NULL,
        reason text NOT NULL,
        source text NOT NULL,
        created_by uuid NULL,
        expires_at timestamptz NULL,
        lifted_at timestamptz NULL,
        lifted_by uuid NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_bans PRIMARY KEY (id),
        CONSTRAINT fk_bans_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
        CONSTRAINT ck_bans_source CHECK (source IN ('manual', 'scanner', 'brute_force', 'fraud'))
      )`);
    await q.query(`CREATE INDEX ix_bans_active_ip ON bans (ip) WHERE lifted_at IS NULL`);
    await q.query(`CREATE INDEX ix_bans_tenant_created ON bans (tenant_id, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'bans',
      'alerts',
      'cdrs',
      'source_rules',
      'rates',
      'destination_rules',
      'device_policy_overrides',
      'fraud_policies',
      'outbound_routes',
      'dids',
      'trunks',
      'devices',
      'extensions',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
    await q.query(`ALTER TABLE tenants DROP CONSTRAINT IF EXISTS ck_tenants_lock_level`);
    await q.query(`ALTER TABLE tenants DROP COLUMN IF EXISTS lock_reason`);
    await q.query(`ALTER TABLE tenants DROP COLUMN IF EXISTS lock_level`);
    await q.query(`ALTER TABLE tenants DROP CONSTRAINT IF EXISTS uq_tenants_sip_realm`);
    await q.query(`ALTER TABLE tenants DROP COLUMN IF EXISTS sip_realm`);
  }
}
