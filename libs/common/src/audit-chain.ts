import { createHmac } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditChainContent {
  chain: string;
  tenantId: string | null;
  actorUserId: string | null;
  actorEmail: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  result: string;
  metadata: Record<string, unknown>;
  /** ISO-8601 with milliseconds; the row stores the same instant. */
  createdAt: string;
  /** Set on rows whose personal fields are hashed through `personalDigest` (and then left null here). */
  personalDigest?: string;
}

/** The fields of an audit row that identify a person, and so may have to be erased one day. */
export interface AuditPersonalFields {
  actorEmail: string | null;
  ip: string | null;
  userAgent: string | null;
}

/** JSON with keys sorted at every level, so the same content always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * hash_n = HMAC-SHA256(key, hash_{n-1} || canonical(content_n)). Keyed, so that someone with
 * write access to the database but not the key cannot rebuild a consistent chain after editing it.
 */
export function chainHash(key: string, prevHash: string, content: AuditChainContent): string {
  return createHmac('sha256', key).update(prevHash).update('\n').update(canonicalJson(content)).digest('hex');
}

/** A keyed digest of a row's personal fields: it stands for them in the chain, so erasing them later breaks nothing. */
export function personalDigest(key: string, fields: AuditPersonalFields): string {
  return createHmac('sha256', key).update('personal\n').update(canonicalJson(fields)).digest('hex');
}

/** What the chain hashes for a row written with a personal digest: the content without its personal fields. */
export function contentWithDigest(content: AuditChainContent, digest: string): AuditChainContent {
  return { ...content, actorEmail: null, ip: null, userAgent: null, personalDigest: digest };
}
