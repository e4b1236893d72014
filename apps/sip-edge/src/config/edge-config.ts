import { isIP } from 'node:net';
import { env, loadConfig, z } from '@pbx/config';
import { parseCidr } from '@pbx/policy';

const TLS_PROTOS = /transport=(tls|wss)\b|^sips:/i;

/** A DNS server as `dns.Resolver.setServers` takes it: `ip`, `ipv4:port` or `[ipv6]:port`. */
function isDnsServer(entry: string): boolean {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(entry) ?? /^([^:]+):(\d{1,5})$/.exec(entry);
  if (!m) return isIP(entry) !== 0;
  return isIP(m[1]) !== 0 && Number(m[2]) > 0 && Number(m[2]) <= 65535;
}

/** A request handler URL that parses and carries no credentials (fetch refuses them, and they would be logged). */
function isHandlerUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const u = new URL(text);
  return !u.username && !u.password;
}

/** The edge's environment, validated once at start-up (secrets have no default). */
export const edgeConfigSchema = z
  .object({
    EDGE_ADMIN_ADDRESS: z.string().min(1).default('127.0.0.1'),
    EDGE_ADMIN_PORT: env.port(9022),
    EDGE_ADMIN_TLS: env.bool(false),
    EDGE_SECRET: env.secret(12),
    EDGE_CONTACTS: env.csv().refine((v) => v.length > 0, 'must list at least one contact, e.g. sip:0.0.0.0:5060;transport=udp'),
    EDGE_TLS_KEY: z.string().min(1).optional(),
    EDGE_TLS_CERT: z.string().min(1).optional(),
    EDGE_TLS_CHAIN: z.string().min(1).optional(),
    EDGE_OPS_ADDRESS: z.string().min(1).default('127.0.0.1'),
    EDGE_OPS_PORT: env.port(9023),
    EDGE_T1_MS: env.int(500, 50, 10_000),
    EDGE_T2_MS: env.int(4000, 100, 60_000),
    EDGE_T4_MS: env.int(5000, 100, 60_000),
    EDGE_MAX_TRANSACTIONS: env.int(500_000, 100),
    EDGE_CDRS: env.bool(false),
    EDGE_MAX_PENDING_PER_APP: env.int(5000, 1),
    EDGE_EXTERNAL_IP: z.ipv4().or(z.ipv6()).optional(),
    /**
     * drachtio request handlers: `invite=tcp://10.0.0.5:9025` (outbound connection to a listening app) or
     * `invite=https://router.example/route` (ask an HTTP service); `*` for every method.
     */
    EDGE_REQUEST_HANDLERS: env
      .csv()
      .refine(
        (list) => list.every((e) => /^([a-z]+|\*)=(tcp:\/\/[^:/]+:\d+\/?|https?:\/\/\S+)$/i.test(e) && isHandlerUrl(e.slice(e.indexOf('=') + 1))),
        'entries must look like invite=tcp://host:port or invite=https://host/path (no user:password in the URL)',
      ),
    EDGE_REQUEST_HANDLER_HTTP_METHOD: z.enum(['GET', 'POST']).default('GET'),
    EDGE_MAX_PENDING_WRITE_BYTES: env.int(8 * 1024 * 1024, 64 * 1024),
    EDGE_DNS_SERVERS: env.csv().refine((list) => list.every(isDnsServer), 'entries must be IP addresses, optionally with :port'),
    /** Requests per 2 s above which a source IP is dropped as flooding (Kamailio pike's density); 0 disables. */
    EDGE_FLOOD_DENSITY: env.int(300, 0, 1_000_000),
    EDGE_FLOOD_RELEASE_SECONDS: env.int(30, 1, 86_400),
    EDGE_FLOOD_MAX_SOURCES: env.int(100_000, 100, 10_000_000),
    /** Addresses or CIDRs the flood guard never limits, besides 127.0.0.1 and ::1 (trunks, big offices). */
    EDGE_FLOOD_ALLOW_CIDRS: env.csv().refine((list) => list.every((c) => parseCidr(c) !== undefined), 'entries must be IP addresses or CIDRs such as 198.51.100.0/24'),
    REDIS_URL: env.url(['redis', 'rediss']).optional(),
    LOG_LEVEL: env.logLevel(),
  })
  .superRefine((c, ctx) => {
    const needsTls = c.EDGE_ADMIN_TLS || c.EDGE_CONTACTS.some((contact) => TLS_PROTOS.test(contact));
    if (needsTls && (!c.EDGE_TLS_KEY || !c.EDGE_TLS_CERT)) {
      ctx.addIssue({ code: 'custom', path: ['EDGE_TLS_CERT'], message: 'EDGE_TLS_KEY and EDGE_TLS_CERT are required for tls/wss contacts and EDGE_ADMIN_TLS' });
    }
  });

export interface EdgeConfig {
  admin: { address: string; port: number; secret: string; tls?: { keyFile: string; certFile: string } };
  contacts: string[];
  tls?: { keyFile: string; certFile: string; chainFile?: string };
  ops: { address: string; port: number };
  timers: { t1: number; t2: number; t4: number };
  maxTransactions: number;
  cdrs: boolean;
  maxPendingPerApp: number;
  externalIp?: string;
  requestHandlers: Record<string, string>;
  requestHandlerHttpMethod: 'GET' | 'POST';
  maxPendingWriteBytes: number;
  /** DNS servers for RFC 3263 lookups of outgoing requests; empty: the system's (resolv.conf). */
  dnsServers: string[];
  /** The per-source request-rate guard; density 0: off. */
  flood: { density: number; releaseAfterMs: number; maxSources: number; allowCidrs: string[] };
  redisUrl?: string;
  logLevel: string;
}

export function loadEdgeConfig(source: NodeJS.ProcessEnv = process.env): EdgeConfig {
  const c = loadConfig(edgeConfigSchema, source);
  return {
    admin: {
      address: c.EDGE_ADMIN_ADDRESS,
      port: c.EDGE_ADMIN_PORT,
      secret: c.EDGE_SECRET,
      tls: c.EDGE_ADMIN_TLS && c.EDGE_TLS_KEY && c.EDGE_TLS_CERT ? { keyFile: c.EDGE_TLS_KEY, certFile: c.EDGE_TLS_CERT } : undefined,
    },
    contacts: c.EDGE_CONTACTS,
    tls: c.EDGE_TLS_KEY && c.EDGE_TLS_CERT ? { keyFile: c.EDGE_TLS_KEY, certFile: c.EDGE_TLS_CERT, chainFile: c.EDGE_TLS_CHAIN } : undefined,
    ops: { address: c.EDGE_OPS_ADDRESS, port: c.EDGE_OPS_PORT },
    timers: { t1: c.EDGE_T1_MS, t2: c.EDGE_T2_MS, t4: c.EDGE_T4_MS },
    maxTransactions: c.EDGE_MAX_TRANSACTIONS,
    cdrs: c.EDGE_CDRS,
    maxPendingPerApp: c.EDGE_MAX_PENDING_PER_APP,
    externalIp: c.EDGE_EXTERNAL_IP,
    requestHandlers: Object.fromEntries(c.EDGE_REQUEST_HANDLERS.map((e) => [e.slice(0, e.indexOf('=')).toLowerCase(), e.slice(e.indexOf('=') + 1)])),
    requestHandlerHttpMethod: c.EDGE_REQUEST_HANDLER_HTTP_METHOD,
    maxPendingWriteBytes: c.EDGE_MAX_PENDING_WRITE_BYTES,
    dnsServers: c.EDGE_DNS_SERVERS,
    flood: {
      density: c.EDGE_FLOOD_DENSITY,
      releaseAfterMs: c.EDGE_FLOOD_RELEASE_SECONDS * 1000,
      maxSources: c.EDGE_FLOOD_MAX_SOURCES,
      allowCidrs: c.EDGE_FLOOD_ALLOW_CIDRS,
    },
    redisUrl: c.REDIS_URL,
    logLevel: c.LOG_LEVEL,
  };
}
