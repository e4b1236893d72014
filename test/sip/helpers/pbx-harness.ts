import { createDataSource } from '../../../libs/database/src';
import { createLogger, createRedis } from '../../../libs/common/src';
import { loadSipConfig, type SipConfig } from '../../../apps/sip/src/config/sip-config';
import { startSip, type RunningSip } from '../../../apps/sip/src/sip';
import { EDGE_SECRET, startTestEdge, type TestEdge } from '../../sip-edge/helpers/edge-harness';
import type { TransportProto } from '../../../apps/sip-edge/src/transport/transport';
import type { TlsSettings } from '../../../apps/sip-edge/src/transport/transport';
import { DropList } from '../../../apps/sip-edge/src/transport/drop-list';

export const TEST_AUDIT_KEY = 'test-audit-hmac-key-of-at-least-32-characters';

/**
 * The SIP app under test, connected to a drachtio server: the embedded edge by default, or an
 * external drachtio-server when PBX_TEST_DRACHTIO is set (host:port of its admin port, with
 * PBX_TEST_DRACHTIO_SECRET, PBX_TEST_SIP_HOST and PBX_TEST_SIP_PORTS such as
 * `udp:5060,tcp:5060,tls:5061,wss:8443`), so the same suites run against the real server.
 */
export interface PbxUnderTest {
  sip: RunningSip;
  config: SipConfig;
  edge?: TestEdge;
  /** Where phones send to, per transport. */
  host: string;
  port(proto: TransportProto): number;
  /** The drachtio secret: the registrar's nonce key is derived from it. */
  secret: string;
  close(): Promise<void>;
}

export const external = (): boolean => !!process.env.PBX_TEST_DRACHTIO;

export async function startPbx(
  opts: { contacts?: string[]; tls?: TlsSettings; env?: Record<string, string>; dropList?: boolean } = {},
): Promise<PbxUnderTest> {
  let edge: TestEdge | undefined;
  let dropList: DropList | undefined;
  const edgeRedis = opts.dropList ? createRedis(process.env.REDIS_URL as string, 'sip-test-edge') : undefined;
  let drachtio: { host: string; port: number; secret: string };
  if (external()) {
    const [host, port] = (process.env.PBX_TEST_DRACHTIO as string).split(':');
    drachtio = { host, port: Number(port), secret: process.env.PBX_TEST_DRACHTIO_SECRET ?? '' };
  } else {
    // The edge's early drop list, on the real ban keys: what the SIP app bans is dropped here.
    if (edgeRedis) dropList = await DropList.start(edgeRedis, { logger: createLogger('drop-list-test', 'silent') });
    edge = await startTestEdge({ contacts: opts.contacts, tls: opts.tls, t1: 500, dropList });
    drachtio = { host: '127.0.0.1', port: edge.adminPort, secret: EDGE_SECRET };
  }
  const config = loadSipConfig({
    DATABASE_URL: process.env.DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL,
    DRACHTIO_HOST: drachtio.host,
    DRACHTIO_PORT: String(drachtio.port),
    DRACHTIO_SECRET: drachtio.secret,
    DRACHTIO_RECONNECT_MAX_MS: '1000',
    AUDIT_HMAC_KEY: TEST_AUDIT_KEY,
    SIP_OPS_PORT: '0',
    BANS_ALLOW_LOOPBACK: 'true',
    SIP_ACCOUNT_CACHE_TTL_MS: '2000',
    SIP_DRAIN_SECONDS: '1',
    SIP_RING_TIMEOUT_SECONDS: '5',
    LOG_LEVEL: process.env.SIP_TEST_LOG ?? 'silent',
    ...opts.env,
  });
  const sip = await startSip(config, createLogger('sip-test', config.LOG_LEVEL));
  await waitReady(sip.opsPort);
  const ports = new Map(
    (process.env.PBX_TEST_SIP_PORTS ?? '').split(',').filter(Boolean).map((p) => p.split(':') as [string, string]),
  );
  return {
    sip,
    config,
    edge,
    host: process.env.PBX_TEST_SIP_HOST ?? '127.0.0.1',
    secret: drachtio.secret,
    port: (proto) => (edge ? edge.port(proto) : Number(ports.get(proto) ?? NaN)),
    close: async () => {
      await sip.close();
      await edge?.close();
      await dropList?.close();
      await edgeRedis?.quit();
    },
  };
}

async function waitReady(opsPort: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await fetch(`http://127.0.0.1:${opsPort}/health/ready`).catch(() => null);
    if (r?.ok) return;
    if (Date.now() > deadline) throw new Error('sip app not ready (is drachtio reachable?)');
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** A data source of the suite's own, for fixtures and assertions. */
export async function openDb() {
  return createDataSource({ url: process.env.DATABASE_URL as string, poolSize: 2, applicationName: 'pbx-sip-test' }).initialize();
}
