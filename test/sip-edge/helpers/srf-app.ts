import Srf from 'drachtio-srf';
import { EDGE_SECRET } from './edge-harness';

/** Connects a real drachtio-srf app to the edge's admin port and waits until it is authenticated. */
export async function connectSrf(adminPort: number, setup?: (srf: Srf) => void, tls = false): Promise<Srf> {
  const srf = new Srf();
  setup?.(srf);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('srf did not connect')), 5000);
    srf.on('connect', (err: unknown) => {
      clearTimeout(timer);
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve();
    });
    srf.on('error', () => undefined);
    const config = { host: '127.0.0.1', port: adminPort, secret: EDGE_SECRET, ...(tls ? { tls: { rejectUnauthorized: false } } : {}) };
    srf.connect(config as Srf.SrfConfig);
  });
  // srf sends its `route` commands right after authenticating; give them a moment to land.
  await new Promise((r) => setTimeout(r, 50));
  return srf;
}

export function disconnectSrf(srf: Srf): void {
  try {
    srf.disconnect();
  } catch {
    // already gone
  }
}

export type SrfHandler = (req: Srf.SrfRequest, res: Srf.SrfResponse) => void;

/** srf's per-method registrars (`srf.options(fn)` …) exist at runtime but are missing from its typings. */
export function onMethod(srf: Srf, method: 'options' | 'register' | 'invite' | 'message' | 'info' | 'subscribe', fn: SrfHandler): void {
  const registrars = srf as unknown as Record<string, (h: SrfHandler) => void>;
  registrars[method].call(srf, fn);
}
