import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { createLogger } from '../../../libs/common/src';
import { startEdgeRuntime, type EdgeRuntime } from '../../../apps/sip-edge/src/edge/edge-runtime';
import type { DropListLike, TlsSettings, TransportProto } from '../../../apps/sip-edge/src/transport/transport';

export const EDGE_SECRET = 'test-secret-for-sip-edge';

export interface TestEdge {
  runtime: EdgeRuntime;
  adminPort: number;
  port(proto: TransportProto): number;
  close(): Promise<void>;
}

/** An in-process edge on free loopback ports (UDP + TCP by default). */
export async function startTestEdge(
  opts: {
    contacts?: string[];
    tls?: TlsSettings;
    t1?: number;
    cdrs?: boolean;
    adminTls?: boolean;
    requestHandlers?: Record<string, string>;
    /** Multiplies RFC 4028 session-timer delays (drachtio's 90 s minimum is too slow for a test). */
    sessionTimerScale?: number;
    dropList?: DropListLike;
  } = {},
): Promise<TestEdge> {
  const runtime = await startEdgeRuntime({
    contacts: opts.contacts ?? ['sip:127.0.0.1:0;transport=udp', 'sip:127.0.0.1:0;transport=tcp'],
    admin: {
      address: '127.0.0.1',
      port: 0,
      secret: EDGE_SECRET,
      tls: opts.adminTls && opts.tls ? { keyFile: opts.tls.keyFile, certFile: opts.tls.certFile } : undefined,
    },
    tls: opts.tls,
    timers: { t1: opts.t1 ?? 500, t2: 4000, t4: 5000 },
    cdrs: opts.cdrs,
    requestHandlers: opts.requestHandlers,
    dropList: opts.dropList,
    logger: createLogger('sip-edge-test', process.env.EDGE_TEST_LOG ?? 'silent'),
  });
  if (opts.sessionTimerScale !== undefined) runtime.edge.ctx.sessionTimers.scale = opts.sessionTimerScale;
  return {
    runtime,
    adminPort: runtime.adminPort,
    port(proto) {
      const l = runtime.transport.listening().find((x) => x.proto === proto);
      if (!l) throw new Error(`edge has no ${proto} listener`);
      return l.port;
    },
    close: () => runtime.close(),
  };
}

/** A UDP port that was free a moment ago (for sipp's -p). */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export async function freeTcpPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** Polls `check` every 20 ms until it returns true or the deadline passes. */
export async function waitUntil(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
