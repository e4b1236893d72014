import { readFileSync } from 'node:fs';
import type { Registry } from 'prom-client';
import type { Logger } from '@pbx/common';
import type { SipTimerConfig } from '../transaction/sip-timers';
import type { DropListLike, FloodGuardLike, TlsSettings } from '../transport/transport';
import { TransportManager } from '../transport/transport';
import { WireServer } from '../wire/wire-server';
import { registerFloodMetrics } from './edge-metrics';
import { SipEdge } from './sip-edge';
import { configureTargetResolver } from './target-resolver';

export interface EdgeRuntimeOptions {
  contacts: string[];
  /** `tls`: serve the admin port over TLS with these PEM files (srf `connect({ tls })`). */
  admin: { address: string; port: number; secret: string; tls?: { keyFile: string; certFile: string } };
  tls?: TlsSettings;
  timers?: SipTimerConfig;
  maxTransactions?: number;
  dropList?: DropListLike;
  /** Per-source request-rate guard (`FloodGuard`), consulted before parsing; its counters join the metrics. */
  floodGuard?: FloodGuardLike & { readonly dropped: number; readonly blocked: number };
  registry?: Registry;
  cdrs?: boolean;
  maxPendingPerApp?: number;
  externalIp?: string;
  requestHandlers?: Record<string, string>;
  /** HTTP method for http(s) request handlers (drachtio's `http-method`), GET by default. */
  requestHandlerHttpMethod?: 'GET' | 'POST';
  /** DNS servers for RFC 3263 lookups of outgoing requests; empty or unset: the system's. */
  dnsServers?: string[];
  /** Write backlog after which a SIP connection is dropped as stuck (a trunk or stunnel carries a lot). */
  maxPendingWriteBytes?: number;
  logger: Logger;
}

export interface EdgeRuntime {
  edge: SipEdge;
  transport: TransportManager;
  adminPort: number;
  close(): Promise<void>;
}

/** Starts the SIP transports, the edge and the admin listener; `close()` stops them in reverse order. */
export async function startEdgeRuntime(opts: EdgeRuntimeOptions): Promise<EdgeRuntime> {
  const transport = await TransportManager.start({
    contacts: opts.contacts,
    tls: opts.tls,
    dropList: opts.dropList,
    floodGuard: opts.floodGuard,
    maxPendingWriteBytes: opts.maxPendingWriteBytes,
    logger: opts.logger.child({ component: 'transport' }),
  });
  if (opts.floodGuard && opts.registry) registerFloodMetrics(opts.registry, opts.floodGuard);
  const listening = transport.listening();
  // One resolver per process: the last edge started in a process configures it (tests start several).
  configureTargetResolver({
    servers: opts.dnsServers,
    transports: [...new Set(listening.map((l) => l.proto))],
    families: listening.some((l) => l.address.includes(':')) ? [4, 6] : [4],
  });
  const edge = new SipEdge({
    transport,
    secret: opts.admin.secret,
    logger: opts.logger,
    timers: opts.timers,
    maxTransactions: opts.maxTransactions,
    registry: opts.registry,
    cdrs: opts.cdrs,
    maxPendingPerApp: opts.maxPendingPerApp,
    externalIp: opts.externalIp,
    requestHandlers: opts.requestHandlers,
    requestHandlerHttpMethod: opts.requestHandlerHttpMethod,
  });
  transport.on('message', (m) => edge.onInbound(m));
  transport.on('error', (err) => opts.logger.warn({ err }, 'transport error'));
  const wire = new WireServer(edge, opts.logger.child({ component: 'wire' }));
  let adminPort: number;
  try {
    const adminTls = opts.admin.tls;
    adminPort = await wire.listen({
      host: opts.admin.address,
      port: opts.admin.port,
      tls: adminTls ? { key: readFileSync(adminTls.keyFile), cert: readFileSync(adminTls.certFile) } : undefined,
    });
  } catch (err) {
    await transport.close();
    throw err;
  }
  return {
    edge,
    transport,
    adminPort,
    async close() {
      await wire.close();
      edge.close();
      await transport.close();
    },
  };
}
