/**
 * Redis keys and pub/sub channels shared by the API, the SIP app, the SIP edge and the worker.
 * One place, so producers and consumers cannot drift apart. All keys live under one prefix.
 */
export const REDIS_PREFIX = 'pbx:';

export const RedisKeys = {
  /** SET of banned source IPs, read by the SIP edge's early drop list. */
  bannedIps: `${REDIS_PREFIX}bans:ips`,
  /** HASH contactUri → JSON registration, per device; filled by the SIP registrar. */
  deviceRegistrations: (tenantId: string, deviceId: string) => `${REDIS_PREFIX}reg:${tenantId}:${deviceId}`,
  /** HASH callId → JSON live call, per tenant; filled by the SIP app. */
  tenantCalls: (tenantId: string) => `${REDIS_PREFIX}calls:${tenantId}`,
  /** STRING with a TTL: a SIP app instance is alive while it keeps renewing this. */
  sipInstance: (instanceId: string) => `${REDIS_PREFIX}sip:instance:${instanceId}`,
  /** HASH `tenantId:callId` → JSON CDR draft of each call a SIP app instance carries (crash recovery). */
  sipJournal: (instanceId: string) => `${REDIS_PREFIX}sip:journal:${instanceId}`,
  /** Pattern matching every instance's journal. */
  sipJournalPattern: `${REDIS_PREFIX}sip:journal:*`,
} as const;

export const RedisChannels = {
  /** JSON `{ "op": "add" | "remove", "ip": "…" }`: the edge updates its drop list. */
  bans: `${REDIS_PREFIX}bans`,
  /** JSON `InvalidationMessage`: SIP processes drop cached config. */
  invalidate: `${REDIS_PREFIX}invalidate`,
  /** JSON `SipCommand`: the SIP app acts on a live call. */
  sipCommands: `${REDIS_PREFIX}sip-commands`,
  /** JSON `FloodReport` (bans.ts): an edge started dropping a source for its request rate; the SIP app may ban it. */
  floods: `${REDIS_PREFIX}floods`,
} as const;

export type InvalidationKind = 'credentials' | 'device' | 'policy' | 'ban' | 'tenant' | 'trunk' | 'route' | 'user';

export interface InvalidationMessage {
  kind: InvalidationKind;
  tenantId: string | null;
  /** The changed entity (device id, rule id…), or null for "everything of this kind in the tenant". */
  id: string | null;
  at: number;
}

/**
 * What the API and the fraud worker ask of the SIP app, on `sipCommands`: end one call, or every
 * call a device is on. `requestedBy` is a user id or `fraud:<alert id>`, for the logs.
 */
export type SipCommand =
  | { op: 'hangup'; tenantId: string; callId: string; requestedBy: string; reason?: string }
  | { op: 'hangup-device'; tenantId: string; deviceId: string; requestedBy: string; reason?: string };
