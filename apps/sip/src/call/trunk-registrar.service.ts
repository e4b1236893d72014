import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { grantedSeconds, RedisLock, refreshDelayMs, retryDelayMs, upstreamRegister } from '@pbx/call-control';
import { REDIS_PREFIX } from '@pbx/common';
import { TrunksRepository, type TrunkEntity } from '@pbx/database';
import { randomUUID } from 'node:crypto';
import type Srf from 'drachtio-srf';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { SIP_CONFIG, type SipConfig } from '../config/sip-config';
import { SIP_LOGGER, SIP_METRICS, SIP_REDIS, SRF } from '../sip.tokens';
import { TrunkDialer } from './trunk-dialer';

interface Upstream {
  trunk: TrunkEntity;
  /** When the next REGISTER is due (epoch ms). */
  dueAt: number;
  failures: number;
  registered: boolean;
  inFlight: boolean;
}

export const trunkRegisterLockKey = (trunkId: string): string =>
  `${REDIS_PREFIX}trunk:register-lock:${trunkId}`;

/**
 * Keeps trunks that need it registered with their carrier (RFC 3261 §10): one app instance per trunk
 * does it, the holder of a Redis lock it renews on every pass, so several instances never register
 * one account twice and a dead instance's trunks move to another within the lock's lifetime.
 * Failures back off exponentially; a refused or unreachable carrier is logged and counted.
 */
@Injectable()
export class TrunkRegistrarService
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly owner = randomUUID();
  private readonly lock: RedisLock;
  private readonly upstreams = new Map<string, Upstream>();
  private localHostports = '';
  private timer?: NodeJS.Timeout;
  private stopping = false;
  private readonly outcomes: Counter<'outcome'>;
  private readonly registeredGauge: Gauge;

  constructor(
    private readonly trunks: TrunksRepository,
    private readonly dialer: TrunkDialer,
    @Inject(SRF) private readonly srf: Srf,
    @Inject(SIP_REDIS) redis: Redis,
    @Inject(SIP_CONFIG) private readonly config: SipConfig,
    @Inject(SIP_LOGGER) private readonly logger: Logger,
    @Inject(SIP_METRICS) registry: Registry,
  ) {
    this.lock = new RedisLock(redis);
    this.srf.on('connect', (err: Error | null, hostport: string) => {
      if (!err && hostport) this.localHostports = hostport;
    });
    this.outcomes = new Counter({
      name: 'sip_trunk_register_total',
      help: 'REGISTERs sent to carriers by outcome (registered, refused, error)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.registeredGauge = new Gauge({
      name: 'sip_trunks_registered',
      help: 'Trunks this instance holds registered with their carrier',
      registers: [registry],
      collect: () =>
        this.registeredGauge.set([...this.upstreams.values()].filter((u) => u.registered).length),
    });
  }

  onApplicationBootstrap(): void {
    const every = this.config.SIP_TRUNK_REGISTER_TICK_MS;
    this.timer = setInterval(
      () => void this.pass().catch((err) => this.logger.warn({ err }, 'trunk registration pass failed')),
      every,
    );
    this.timer.unref();
  }

  /** Unregisters (Expires: 0) what this instance holds, so carriers stop sending calls here; another instance takes over. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    const held = [...this.upstreams.values()].filter((u) => u.registered);
    await Promise.all(
      held.map(async ({ trunk }) => {
        const reg = upstreamRegister({ ...trunk, registerExpires: 0 }, this.localHostports);
        if (!reg) return;
        const timeout = new Promise<void>((r) => setTimeout(r, 2000).unref());
        await Promise.race([
          this.send(trunk, reg).then(
            () => undefined,
            () => undefined,
          ),
          timeout,
        ]);
      }),
    );
    if (held.length) this.logger.info({ trunks: held.length }, 'trunk registrations removed at shutdown');
    // Before Redis closes (onApplicationShutdown): another instance may take the trunks at once.
    for (const trunkId of this.upstreams.keys())
      await this.lock.release(trunkRegisterLockKey(trunkId), this.owner).catch(() => undefined);
  }

  onApplicationShutdown(): void {
    this.stopping = true;
    clearInterval(this.timer);
  }

  /** One pass: renew or take the lock of every registering trunk, and register those that are due. */
  async pass(now = Date.now()): Promise<void> {
    if (!this.localHostports || this.stopping) return;
    const trunks = await this.trunks.allRegistering();
    const seen = new Set<string>();
    for (const trunk of trunks) {
      seen.add(trunk.id);
      const held = await this.lock.hold(
        trunkRegisterLockKey(trunk.id),
        this.owner,
        this.config.SIP_TRUNK_REGISTER_TICK_MS * 3,
      );
      if (!held) {
        this.upstreams.delete(trunk.id);
        continue;
      }
      const state = this.upstreams.get(trunk.id) ?? {
        trunk,
        dueAt: now,
        failures: 0,
        registered: false,
        inFlight: false,
      };
      state.trunk = trunk;
      this.upstreams.set(trunk.id, state);
      if (state.dueAt <= now && !state.inFlight) void this.register(trunk, state);
    }
    for (const id of [...this.upstreams.keys()]) if (!seen.has(id)) this.upstreams.delete(id);
  }

  private async register(trunk: TrunkEntity, state: Upstream): Promise<void> {
    const reg = upstreamRegister(trunk, this.localHostports);
    if (!reg) return;
    state.inFlight = true;
    const log = this.logger.child({ trunkId: trunk.id, tenantId: trunk.tenantId });
    try {
      const status = await this.send(trunk, reg);
      if (status.code >= 200 && status.code < 300) {
        const granted = grantedSeconds(status.contact, status.expires, reg.expires);
        state.failures = 0;
        state.registered = true;
        state.dueAt = Date.now() + refreshDelayMs(granted);
        this.outcomes.inc({ outcome: 'registered' });
        log.info({ granted }, 'trunk registered upstream');
      } else {
        this.failed(state, 'refused');
        log.warn(
          { status: status.code, retryInMs: state.dueAt - Date.now() },
          'carrier refused the trunk registration',
        );
      }
    } catch (err) {
      this.failed(state, 'error');
      log.warn(
        { err: { message: (err as Error).message }, retryInMs: state.dueAt - Date.now() },
        'trunk registration failed',
      );
    } finally {
      state.inFlight = false;
    }
  }

  private failed(state: Upstream, outcome: 'refused' | 'error'): void {
    state.failures++;
    state.registered = false;
    state.dueAt = Date.now() + retryDelayMs(state.failures);
    this.outcomes.inc({ outcome });
  }

  /** Sends the REGISTER; drachtio answers a 401/407 with the trunk's sealed credentials (TrunkDialer opens them). */
  private async send(
    trunk: TrunkEntity,
    reg: NonNullable<ReturnType<typeof upstreamRegister>>,
  ): Promise<{ code: number; contact?: string; expires?: string }> {
    // srf.request(uri, opts) resolves with the request sent; its typings name another overload.
    const request = this.srf.request.bind(this.srf) as unknown as (
      uri: string,
      opts: object,
    ) => Promise<Srf.SrfRequest>;
    const req = await request(reg.uri, {
      method: 'REGISTER',
      proxy: reg.proxy,
      headers: {
        From: `<${reg.aor}>`,
        To: `<${reg.aor}>`,
        Contact: reg.contact,
        Expires: String(reg.expires),
      },
      auth: this.dialer.credentialsFor(trunk.tenantId, trunk.id, trunk.authUsername ?? ''),
    });
    return new Promise((resolve, reject) => {
      const timeout = setTimeout(() => reject(new Error('no final response')), 32_000);
      req.on('response', (res) => {
        if (!res || res.status < 200) return;
        clearTimeout(timeout);
        resolve({
          code: res.status,
          contact: res.has('Contact') ? res.get('Contact') : undefined,
          expires: res.has('Expires') ? res.get('Expires') : undefined,
        });
      });
    });
  }
}
