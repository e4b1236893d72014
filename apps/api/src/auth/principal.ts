import type { Permission } from '@pbx/common';

/** Who is calling, as established from a verified access token. */
export interface Principal {
  userId: string;
  tenantId: string;
  roles: string[];
  permissions: ReadonlySet<Permission>;
  /** Access token id, for the deny-list on logout. */
  jti: string;
  /** Session (refresh token family) the token belongs to. */
  sid: string;
  exp: number;
}

export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}
