import type { SipRequest } from '../sip/message';
import { parseUri } from '../sip/message';
import type { RemoteInfo } from '../transport/transport';
import { uriOf } from './outgoing-message';

/** What an HTTP request handler told the edge to do with a new request (drachtio `httpCallRoutingComplete`). */
export type RouteDecision =
  | { action: 'reject'; status: number; reason?: string }
  | { action: 'redirect'; contacts: string[] }
  | {
      action: 'proxy';
      destinations: string[];
      recordRoute: boolean;
      followRedirects: boolean;
      simultaneous: boolean;
      provisionalTimeout: string;
      finalTimeout: string;
    }
  | { action: 'route'; uri: string }
  | { action: 'route'; tag: string };

export class RouteDecisionError extends Error {}

/** Largest routing answer read; an answer is a small JSON object. */
const MAX_BODY_BYTES = 64 * 1024;

function strings(value: unknown, what: string): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) return value as string[];
  throw new RouteDecisionError(`'${what}' must be a string or an array of strings`);
}

/**
 * Validates a routing answer the way drachtio-server reads it (`DrachtioController::httpCallRoutingComplete`):
 * `{"action": "reject"|"redirect"|"proxy"|"route", "data": {...}}`, with drachtio's defaults for proxy
 * (followRedirects true, provisionalTimeout 5s, finalTimeout 60s). Stricter than drachtio where it would
 * send nonsense: a reject status must be 300–699.
 */
export function parseRouteDecision(body: unknown): RouteDecision {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new RouteDecisionError('expected a JSON object');
  const { action, data } = body as { action?: unknown; data?: unknown };
  if (typeof action !== 'string') throw new RouteDecisionError("missing or invalid 'action' attribute");
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new RouteDecisionError("missing 'data' object");
  const d = data as Record<string, unknown>;
  const bool = (name: string, dflt: boolean) => (typeof d[name] === 'boolean' ? (d[name] as boolean) : dflt);
  const str = (name: string, dflt: string) => (typeof d[name] === 'string' ? (d[name] as string) : dflt);
  switch (action) {
    case 'reject': {
      const status = d.status;
      if (typeof status !== 'number' || !Number.isInteger(status) || status < 300 || status > 699) {
        throw new RouteDecisionError("'status' must be a SIP status from 300 to 699");
      }
      const reason = typeof d.reason === 'string' ? d.reason.replace(/[\r\n]/g, ' ').slice(0, 200) : undefined;
      return { action, status, reason };
    }
    case 'redirect':
      return { action, contacts: strings(d.contact, 'contact') };
    case 'proxy':
      return {
        action,
        destinations: strings(d.destination, 'destination'),
        recordRoute: bool('recordRoute', false),
        followRedirects: bool('followRedirects', true),
        simultaneous: bool('simultaneous', false),
        provisionalTimeout: str('provisionalTimeout', '5s'),
        finalTimeout: str('finalTimeout', '60s'),
      };
    case 'route':
      if (typeof d.uri === 'string') return { action, uri: d.uri };
      if (typeof d.tag === 'string') return { action, tag: d.tag };
      throw new RouteDecisionError("'uri' is missing or is not a string");
    default:
      throw new RouteDecisionError(`invalid 'action' attribute value: valid values are 'reject', 'proxy', 'redirect', and 'route'`);
  }
}

/**
 * The query drachtio sends with a routing request (`PendingRequestController::processNewRequest`): method,
 * domain, protocol, source_address, fromUser, toUser, uriUser, contentType, uri, then every Request-URI
 * parameter not named like one of those. drachtio appends `/` to the configured URL's path; so does this,
 * unless the path already ends with one; a query in the configured URL is kept.
 */
export function routingUrl(base: string, req: SipRequest, source: RemoteInfo): string {
  const ruri = parseUri(req.uri);
  const user = (header: string | undefined) => parseUri(uriOf(header ?? ''))?.user ?? '';
  const contentType = (req.headers.get('content-type') ?? '').split(';')[0].trim();
  const params: Array<[string, string]> = [
    ['method', req.method],
    ['domain', ruri?.host ?? ''],
    ['protocol', source.proto],
    ['source_address', source.address],
    ['fromUser', user(req.headers.get('from'))],
    ['toUser', user(req.headers.get('to'))],
    ['uriUser', ruri?.user ?? ''],
    ['contentType', contentType],
    ['uri', req.uri],
  ];
  // R-URI parameters come last, and never under the name of a field above: a caller must not be able
  // to send `;source_address=10.0.0.1` and have a routing service that reads the last value believe it.
  const fixed = new Set(params.map(([k]) => k.toLowerCase()));
  for (const [k, v] of Object.entries(ruri?.params ?? {})) if (!fixed.has(k.toLowerCase())) params.push([k, v ?? '']);
  const url = new URL(base);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  for (const [k, v] of params) url.searchParams.append(k, v);
  return url.toString();
}

export interface HttpRouterOptions {
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

/** Asks an HTTP request handler what to do with a new request. Any failure is an error (the caller answers 500). */
export class HttpRouter {
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(opts: HttpRouterOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.fetchImpl = opts.fetchImpl ?? fetch;
  }

  async decide(base: string, httpMethod: 'GET' | 'POST', req: SipRequest, source: RemoteInfo, raw: Buffer): Promise<RouteDecision> {
    const url = routingUrl(base, req, source);
    const res = await this.fetchImpl(url, {
      method: httpMethod,
      // drachtio POSTs the SIP message itself as the body.
      body: httpMethod === 'POST' ? new Uint8Array(raw) : undefined,
      headers: httpMethod === 'POST' ? { 'content-type': 'application/sip' } : undefined,
      signal: AbortSignal.timeout(this.timeoutMs),
      redirect: 'error',
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw new RouteDecisionError(`routing request answered HTTP ${res.status}`);
    }
    const text = await readLimited(res, MAX_BODY_BYTES);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new RouteDecisionError('routing answer is not JSON');
    }
    return parseRouteDecision(body);
  }
}

async function readLimited(res: Response, limit: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw new RouteDecisionError(`routing answer exceeds ${limit} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
