import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type Srf from 'drachtio-srf';
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { Gauge, Registry } from 'prom-client';
import { SIP_CONFIG, SipConfig } from '../config/sip-config';
import { SipRouter } from '../sip-router';
import { SIP_LOGGER, SIP_METRICS, SRF } from '../sip.tokens';

/** The parts of drachtio-srf's client wire protocol (lib/wire-protocol.js) that shutdown has to reach. */
interface SrfWireProtocol {
  closing?: boolean;
  reconnectVars?: { retryTimer?: NodeJS.Timeout | null };
}

/**
 * Owns the control connection to drachtio (the SIP edge or a real drachtio-server): installs the
 * middleware chain, connects, and lets drachtio-srf reconnect with exponential back-off (capped at
 * DRACHTIO_RECONNECT_MAX_MS) whenever the connection drops. Readiness follows the connection state.
 */
@Injectable()
export class DrachtioConnectionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private connected = false;
  private stopping = false;
  private readonly up: Gauge;

  constructor(
    @Inject(SRF) private readonly srf: Srf,
    @Inject(SIP_CONFIG) private readonly config: SipConfig,
    @Inject(SIP_LOGGER) private readonly logger: Logger,
    @Inject(SIP_METRICS) registry: Registry,
    private readonly router: SipRouter,
  ) {
    this.up = new Gauge({ name: 'sip_drachtio_connected', help: '1 while connected to drachtio', registers: [registry] });
  }

  onApplicationBootstrap(): void {
    this.router.install(this.srf);

    const target = { host: this.config.DRACHTIO_HOST, port: this.config.DRACHTIO_PORT };
    this.srf.on('connect', (err, hostport) => {
      if (err) {
        this.setConnected(false);
        this.logger.error({ err, ...target }, 'drachtio refused the connection (check DRACHTIO_SECRET)');
        return;
      }
      if (this.stopping) {
        // A connection attempt that was already under way when shutdown began: drop it.
        this.disconnect();
        return;
      }
      this.setConnected(true);
      this.logger.info({ ...target, hostport }, 'connected to drachtio');
    });
    let lastError = '';
    this.srf.on('error', (err) => {
      lastError = err.message;
    });
    const events = this.srf as EventEmitter;
    events.on('close', () => {
      if (this.connected) this.logger.warn(target, 'drachtio connection closed');
      this.setConnected(false);
    });
    events.on('reconnecting', (r: { delay: number; attempt: number }) => {
      if (this.stopping) return;
      this.logger.info({ ...target, delayMs: r.delay, attempt: r.attempt, lastError }, 'reconnecting to drachtio');
    });

    const connectOptions: Srf.SrfConfig & { reconnect: { retryMaxDelay: number } } = {
      ...target,
      secret: this.config.DRACHTIO_SECRET,
      reconnect: { retryMaxDelay: this.config.DRACHTIO_RECONNECT_MAX_MS },
    };
    this.logger.info(target, 'connecting to drachtio');
    void this.srf.connect(connectOptions);
  }

  isConnected(): boolean {
    return this.connected;
  }

  onApplicationShutdown(): void {
    this.stopping = true;
    this.disconnect();
    this.setConnected(false);
  }

  /**
   * srf.disconnect() ends the socket and marks the client as closing, so that no reconnect follows. Between
   * two attempts there is no socket: it then throws (an assert) before marking anything, and its armed retry
   * timer would connect again and keep reconnecting for ever, holding the process open. So the retry timer is
   * cleared and the closing flag set here, on srf's wire protocol object.
   */
  private disconnect(): void {
    try {
      this.srf.disconnect();
    } catch {
      // Not connected (between reconnect attempts): handled below.
    }
    const wp = (this.srf as unknown as { _app?: { client?: { wp?: SrfWireProtocol } } })._app?.client?.wp;
    if (!wp) return;
    wp.closing = true;
    if (wp.reconnectVars?.retryTimer) {
      clearTimeout(wp.reconnectVars.retryTimer);
      wp.reconnectVars.retryTimer = null;
    }
  }

  private setConnected(value: boolean): void {
    this.connected = value;
    this.up.set(value ? 1 : 0);
  }
}
