import Srf from 'drachtio-srf';
import type { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { SipConfig } from '../config/sip-config';
import type { SipRouter } from '../sip-router';
import { DrachtioConnectionService } from './drachtio-connection.service';

/** A loopback port with nothing listening on it (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  const addr = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return typeof addr === 'object' && addr ? addr.port : 0;
}

describe('DrachtioConnectionService shutdown', () => {
  it('stops reconnecting when shut down between two attempts', async () => {
    const srf = new Srf();
    const logger = pino({ level: 'silent' });
    const config = { DRACHTIO_HOST: '127.0.0.1', DRACHTIO_PORT: await closedPort(), DRACHTIO_SECRET: 'x'.repeat(12), DRACHTIO_RECONNECT_MAX_MS: 500 } as SipConfig;
    const service = new DrachtioConnectionService(srf, config, logger, new Registry(), { install: () => undefined } as unknown as SipRouter);
    let attempts = 0;
    (srf as EventEmitter).on('reconnecting', () => attempts++);
    service.onApplicationBootstrap();
    const deadline = Date.now() + 5000;
    while (attempts < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(attempts).toBeGreaterThanOrEqual(2);

    service.onApplicationShutdown();
    const seen = attempts;
    // Longer than the capped back-off: a retry timer left armed would have fired and scheduled another.
    await new Promise((r) => setTimeout(r, 1200));
    expect(attempts).toBe(seen);
    expect(service.isConnected()).toBe(false);
  });
});
