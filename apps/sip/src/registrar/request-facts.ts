import { splitHeaderList, type RegisterCommand } from '@pbx/call-control';
import { countryOfIp, normalizeIp } from '@pbx/common';
import type Srf from 'drachtio-srf';

/** What drachtio tells us about where a request came from, beyond the message itself. */
interface RequestMeta {
  source_address: string;
  source_port: number;
  protocol: string;
  server?: { hostport?: string };
}

export function sourceOf(req: Srf.SrfRequest): { ip: string; port: number; transport: string; edge: string | null } {
  const meta = req as unknown as RequestMeta;
  return {
    ip: normalizeIp(meta.source_address) ?? meta.source_address,
    port: meta.source_port,
    transport: (meta.protocol ?? 'udp').toLowerCase(),
    edge: meta.server?.hostport ?? null,
  };
}

const list = (v: string | undefined) => (v ? splitHeaderList(v) : []);

/**
 * A header's value (repeats joined with commas), by its lower-case name. drachtio-srf's parser keys
 * headers by lower-case name, with compact forms expanded; its `has`/`get` scan every header name
 * on each call, which cost a registration more CPU than reading the map once.
 */
export function headerReader(req: Srf.SrfRequest): (lowerCaseName: string) => string | undefined {
  const headers = (req as unknown as { headers: Record<string, string | undefined> }).headers;
  return (name) => headers[name];
}

/** Maps a REGISTER to the registrar's command: plain data, no srf objects past this point. */
export function toRegisterCommand(req: Srf.SrfRequest, now = Date.now()): RegisterCommand {
  const src = sourceOf(req);
  const h = headerReader(req);
  const cseq = parseInt(h('cseq') ?? '', 10);
  return {
    requestUri: req.uri,
    from: h('from'),
    to: h('to'),
    callId: h('call-id') ?? '',
    cseq: Number.isFinite(cseq) ? cseq : 0,
    contact: h('contact'),
    expires: h('expires'),
    authorization: h('authorization'),
    userAgent: h('user-agent'),
    path: list(h('path')),
    supported: list(h('supported')).map((s) => s.toLowerCase()),
    sourceIp: src.ip,
    sourcePort: src.port,
    transport: src.transport,
    edge: src.edge,
    sourceCountry: countryOfIp(src.ip),
    now,
  };
}
