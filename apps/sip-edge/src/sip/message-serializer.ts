import { randomBytes } from 'node:crypto';
import { parseNameAddr } from './header-parsers';
import type { SipMessage, SipRequest, SipResponse } from './message';
import { SipHeaders } from './sip-headers';
import type { SipParseError } from './sip-parse-error';

export type ExtraHeaders = SipHeaders | Iterable<readonly [string, string]> | Record<string, string>;

/** Serializes a message; any Content-Length present is replaced by the body's real length. */
export function serialize(msg: SipMessage): Buffer {
  let head =
    msg.kind === 'request'
      ? `${msg.method} ${msg.uri} SIP/2.0\r\n`
      : `SIP/2.0 ${msg.status} ${msg.reason}\r\n`;
  for (const e of msg.headers.raw()) {
    if (e.key !== 'content-length') head += `${e.name}: ${e.value}\r\n`;
  }
  head += `Content-Length: ${msg.body.length}\r\n\r\n`;
  const headLen = Buffer.byteLength(head);
  const out = Buffer.allocUnsafe(headLen + msg.body.length);
  out.write(head, 0, 'utf8');
  msg.body.copy(out, headLen);
  return out;
}

// Random identifiers come from a pooled buffer: one randomBytes call per 4 KiB instead of per message.
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let poolPos = 0;

function randomToken(bytes: number): string {
  if (poolPos + bytes > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolPos = 0;
  }
  const s = pool.toString('base64url', poolPos, poolPos + bytes);
  poolPos += bytes;
  return s;
}

/** RFC 3261 §8.1.1.7: a branch starts with the magic cookie `z9hG4bK`. */
export function generateBranch(): string {
  return `z9hG4bK${randomToken(12)}`;
}

export function generateTag(): string {
  return randomToken(9);
}

function toEntries(extra: ExtraHeaders): Iterable<readonly [string, string]> {
  if (extra instanceof SipHeaders) return extra;
  if (Symbol.iterator in extra) return extra as Iterable<readonly [string, string]>;
  return Object.entries(extra as Record<string, string>);
}

/**
 * Builds a response to `req` (RFC 3261 §8.2.6.2): Via, From, To, Call-ID and CSeq copied, and a To-tag
 * added for anything above 100 when the request had none (`toTag` lets a UAS keep one tag per dialog).
 */
export function buildResponse(
  req: Pick<SipRequest, 'headers'>,
  status: number,
  reason: string,
  extraHeaders?: ExtraHeaders,
  toTag?: string,
): SipResponse {
  const headers = new SipHeaders();
  for (const e of req.headers.raw()) if (e.key === 'via') headers.pushRaw(e.name, e.key, e.value);
  const from = req.headers.get('from');
  if (from !== undefined) headers.append('From', from);
  let to = req.headers.get('to');
  if (to !== undefined && status > 100 && !parseNameAddr(to)?.tag) to = `${to};tag=${toTag ?? generateTag()}`;
  if (to !== undefined) headers.append('To', to);
  const callId = req.headers.get('call-id');
  if (callId !== undefined) headers.append('Call-ID', callId);
  const cseq = req.headers.get('cseq');
  if (cseq !== undefined) headers.append('CSeq', cseq);
  if (extraHeaders) for (const [name, value] of toEntries(extraHeaders)) headers.append(name, value);
  return { kind: 'response', status, reason, version: 'SIP/2.0', headers, body: Buffer.alloc(0) };
}

/**
 * The response a server should send for a request that failed to parse, or undefined when it cannot be
 * answered: a response, an ACK, or no Via and CSeq to match a transaction with. From, To and Call-ID are
 * copied when present (RFC 4475 §3.3.1 asks for a 400 even when they are missing).
 */
export function buildErrorResponse(err: SipParseError): SipResponse | undefined {
  const p = err.partial;
  if (!p || p.kind !== 'request' || !p.headers || p.method === 'ACK') return undefined;
  if (!p.headers.has('via') || !p.headers.has('cseq')) return undefined;
  const reason = err.reason.replace(/[\r\n]/g, ' ');
  return buildResponse({ headers: p.headers }, err.status, reason);
}
