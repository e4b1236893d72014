/**
 * The permission catalogue and the roles built from it. Code is the source of truth: the
 * migration runner syncs these into the roles/permissions tables after migrating, and guards
 * check against this map, so an access token never needs a database round trip to be authorised.
 */
export const PERMISSIONS = {
  'tenants.view': 'See tenants',
  'tenants.manage': 'Create, update and suspend tenants (platform-wide)',
  'numbers.assign': 'Assign public numbers to tenants and release them (platform-wide)',
  'users.view': 'List and show users of the tenant',
  'users.create': 'Create users in the tenant',
  'users.update': 'Update users and their roles',
  'users.deactivate': 'Deactivate users',
  'users.reset_password': "Reset another user's password",
  'users.export': 'Export everything held about a user (GDPR access request)',
  'users.erase': "Erase a user's personal data (GDPR erasure request)",
  'audit.view': 'Read the audit log',
  'audit.verify': 'Verify the audit hash chain',
  'extensions.view': 'List and show extensions',
  'extensions.manage': 'Create, update and delete extensions',
  'devices.view': 'List and show devices (never their credentials)',
  'devices.manage': 'Create, update, suspend and delete devices',
  'devices.credentials': 'Generate and rotate device SIP credentials',
  'trunks.view': 'List and show trunks, DIDs and outbound routes',
  'trunks.manage': 'Manage trunks, DIDs and outbound routes',
  'policy.view': 'See toll-fraud policy, rules, rates and geo/IP lists',
  'policy.manage': 'Change toll-fraud policy, rules, rates, geo/IP lists and lock levels',
  'policy.simulate': 'Ask what the policy engine would decide for a call',
  'cdrs.view': 'Read call detail records (numbers masked)',
  'cdrs.view_numbers': 'See full phone numbers in CDRs',
  'alerts.view': 'Read fraud and security alerts',
  'alerts.manage': 'Acknowledge and resolve alerts',
  'bans.view': 'List source-IP bans',
  'bans.manage': 'Add and lift bans',
  'live.view': 'See live registrations and calls',
  'live.hangup': 'Hang up live calls',
} as const;

export type Permission = keyof typeof PERMISSIONS;

export const ROLE_KEYS = ['platform_admin', 'tenant_admin', 'supervisor', 'agent', 'auditor'] as const;
export type RoleKey = (typeof ROLE_KEYS)[number];

const ALL = Object.keys(PERMISSIONS) as Permission[];
/** Permissions that act across tenants. */
const PLATFORM_ONLY: readonly Permission[] = ['tenants.manage', 'numbers.assign'];

export const ROLES: Record<RoleKey, { name: string; description: string; permissions: readonly Permission[] }> = {
  platform_admin: { name: 'Platform admin', description: 'Operates the whole platform', permissions: ALL },
  tenant_admin: {
    name: 'Tenant admin',
    description: 'Administers one tenant',
    permissions: ALL.filter((p) => !PLATFORM_ONLY.includes(p)),
  },
  supervisor: {
    name: 'Supervisor',
    description: 'Supervises agents of a tenant',
    permissions: [
      'users.view',
      'extensions.view',
      'devices.view',
      'policy.view',
      'policy.simulate',
      'cdrs.view',
      'cdrs.view_numbers',
      'alerts.view',
      'alerts.manage',
      'live.view',
      'live.hangup',
    ],
  },
  agent: { name: 'Agent', description: 'Uses the PBX; manages only their own session', permissions: [] },
  auditor: {
    name: 'Auditor',
    description: 'Read-only access for audits',
    permissions: [
      'tenants.view',
      'users.view',
      'audit.view',
      'audit.verify',
      'extensions.view',
      'devices.view',
      'trunks.view',
      'policy.view',
      'cdrs.view',
      'alerts.view',
      'bans.view',
      'live.view',
    ],
  },
};

export function isRoleKey(value: string): value is RoleKey {
  return (ROLE_KEYS as readonly string[]).includes(value);
}

export function permissionsOf(roles: readonly string[]): Set<Permission> {
  const out = new Set<Permission>();
  for (const role of roles) if (isRoleKey(role)) for (const p of ROLES[role].permissions) out.add(p);
  return out;
}

/** A user may only hand out roles whose permissions they hold themselves: no privilege escalation. */
export function canGrantRoles(granterRoles: readonly string[], requested: readonly string[]): boolean {
  const mine = permissionsOf(granterRoles);
  return requested.every((r) => isRoleKey(r) && ROLES[r].permissions.every((p) => mine.has(p)));
}
