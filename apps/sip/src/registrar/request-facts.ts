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

/** Maps a REGISTER to the registrar's command: plain data, no srf objects past this point. */
export function toRegisterCommand(req: Srf.SrfRequest, now = Date.now()): RegisterCommand {
  const src = sourceOf(req);
  const h = (name: string): string | undefined => (req.has(name) ? req.get(name) : undefined);
  const cseq = parseInt(h('CSeq') ?? '', 10);
  return {
    requestUri: req.uri,
    from: h('From'),
    to: h('To'),
    callId: h('Call-ID') ?? '',
    cseq: Number.isFinite(cseq) ? cseq : 0,
    contact: h('Contact'),
    expires: h('Expires'),
    authorization: h('Authorization'),
    userAgent: h('User-Agent'),
    path: list(h('Path')),
    supported: list(h('Supported')).map((s) => s.toLowerCase()),
    sourceIp: src.ip,
    sourcePort: src.port,
    transport: src.transport,
    edge: src.edge,
    sourceCountry: countryOfIp(src.ip),
    now,
  };
}
