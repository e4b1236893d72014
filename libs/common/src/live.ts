import type Redis from 'ioredis';
import { RedisKeys } from './redis-keys';

/** One contact binding of a device, as the SIP registrar stores it (field value of the device's HASH). */
export interface LiveRegistration {
  contact: string;
  source_ip: string;
  transport: string;
  user_agent: string | null;
  /** ISO 8601; the binding is stale after this. */
  expires_at: string;
  /** The rest is written by the registrar for routing; older writers left it out. */
  source_port?: number;
  registered_at?: string;
  /** The drachtio server (edge) host:port whose connection the phone registered over. */
  edge?: string | null;
  /** RFC 5626 instance and flow. */
  instance_id?: string | null;
  reg_id?: number | null;
  /** RFC 3327 Path, in order. */
  path?: string[];
  call_id?: string;
  cseq?: number;
}

export type LiveCallState = 'ringing' | 'answered';

/** One call in progress, as the SIP app stores it (field value of the tenant's calls HASH). */
export interface LiveCall {
  call_id: string;
  direction: 'inbound' | 'outbound' | 'internal';
  state: LiveCallState;
  device_id: string | null;
  extension_id: string | null;
  trunk_id: string | null;
  from_number: string;
  to_number: string;
  source_ip: string | null;
  /** ISO 8601. */
  started_at: string;
  answered_at: string | null;
}

/** A device's HASH lives as long as its longest binding, so a crashed registrar leaves nothing behind for good. */
export async function putRegistration(
  redis: Redis,
  tenantId: string,
  deviceId: string,
  reg: LiveRegistration,
): Promise<void> {
  const key = RedisKeys.deviceRegistrations(tenantId, deviceId);
  const expiresAt = Date.parse(reg.expires_at);
  if (Number.isNaN(expiresAt)) throw new Error('registration expires_at is not a date');
  await redis
    .multi()
    .hset(key, reg.contact, JSON.stringify(reg))
    // GT only ever lengthens the key's life; a new key (no TTL) takes this one.
    .pexpireat(key, expiresAt, 'GT')
    .pexpireat(key, expiresAt, 'NX')
    .exec();
}

export async function removeRegistration(
  redis: Redis,
  tenantId: string,
  deviceId: string,
  contact: string,
): Promise<void> {
  await redis.hdel(RedisKeys.deviceRegistrations(tenantId, deviceId), contact);
}

export async function putCall(redis: Redis, tenantId: string, call: LiveCall): Promise<void> {
  await redis.hset(RedisKeys.tenantCalls(tenantId), call.call_id, JSON.stringify(call));
}

export async function removeCall(redis: Redis, tenantId: string, callId: string): Promise<void> {
  await redis.hdel(RedisKeys.tenantCalls(tenantId), callId);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads a stored registration back, or null if the value is not one (written by an older or broken writer). */
export function parseLiveRegistration(raw: string): LiveRegistration | null {
  try {
    const v: unknown = JSON.parse(raw);
    if (!isObject(v)) return null;
    const { contact, source_ip, transport, user_agent, expires_at } = v;
    if (typeof contact !== 'string' || typeof source_ip !== 'string' || typeof transport !== 'string')
      return null;
    if (typeof expires_at !== 'string' || Number.isNaN(Date.parse(expires_at))) return null;
    const out: LiveRegistration = {
      contact,
      source_ip,
      transport,
      user_agent: typeof user_agent === 'string' ? user_agent : null,
      expires_at,
    };
    if (typeof v.source_port === 'number') out.source_port = v.source_port;
    if (typeof v.registered_at === 'string') out.registered_at = v.registered_at;
    if (typeof v.edge === 'string') out.edge = v.edge;
    if (typeof v.instance_id === 'string') out.instance_id = v.instance_id;
    if (typeof v.reg_id === 'number') out.reg_id = v.reg_id;
    if (Array.isArray(v.path) && v.path.every((x) => typeof x === 'string')) out.path = v.path as string[];
    if (typeof v.call_id === 'string') out.call_id = v.call_id;
    if (typeof v.cseq === 'number') out.cseq = v.cseq;
    return out;
  } catch {
    return null;
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export function parseLiveCall(raw: string): LiveCall | null {
  try {
    const v: unknown = JSON.parse(raw);
    if (!isObject(v)) return null;
    const { call_id, direction, state, from_number, to_number, started_at } = v;
    if (typeof call_id !== 'string' || typeof from_number !== 'string' || typeof to_number !== 'string')
      return null;
    if (direction !== 'inbound' && direction !== 'outbound' && direction !== 'internal') return null;
    if (state !== 'ringing' && state !== 'answered') return null;
    if (typeof started_at !== 'string') return null;
    return {
      call_id,
      direction,
      state,
      device_id: str(v.device_id),
      extension_id: str(v.extension_id),
      trunk_id: str(v.trunk_id),
      from_number,
      to_number,
      source_ip: str(v.source_ip),
      started_at,
      answered_at: str(v.answered_at),
    };
  } catch {
    return null;
  }
}
