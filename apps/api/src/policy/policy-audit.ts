import type { Principal, RequestMeta } from '../auth/principal';

/** Postgres unique violation on the named constraint or index. */
export function isUniqueViolation(err: unknown, constraint: string): boolean {
  const e = err as { code?: unknown; constraint?: unknown; driverError?: { code?: unknown; constraint?: unknown } };
  const code = e.driverError?.code ?? e.code;
  const name = e.driverError?.constraint ?? e.constraint;
  return code === '23505' && name === constraint;
}

/** The common part of a policy audit entry: tenant, actor, target and request metadata. */
export function auditBase(p: Principal, type: string, id: string | null, meta: RequestMeta) {
  return { tenantId: p.tenantId, actor: p, target: { type, id }, meta, result: 'success' as const };
}

/** Field names whose value changed between `before` and `patch`, sorted, for audit details. */
export function changedFields<T extends object>(before: T, patch: Partial<T>): string[] {
  return (Object.keys(patch) as (keyof T)[])
    .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(patch[k]))
    .map(String)
    .sort();
}
