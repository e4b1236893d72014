import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ScreenRequestUseCase, SourceRateGuard } from '@pbx/call-control';
import { createBlockingRedis, parseFloodReport, RedisChannels } from '@pbx/common';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { SIP_CONFIG, type SipConfig } from '../config/sip-config';
import { SIP_LOGGER, SIP_REDIS } from '../sip.tokens';
import { SipMetrics } from './sip-metrics';

/**
 * Floods, from wherever they are seen: the edge reports them on pbx:floods (it already dropped the
 * packets); under drachtio-server, which has no such guard, the app's own guard sees them. Either way a
 * flooding source is banned at every edge unless it holds live registrations.
 */
@Injectable()
export class FloodWatchService implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly guard: SourceRateGuard | null;
  private subscriber?: Redis;
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly screen: ScreenRequestUseCase,
    private readonly metrics: SipMetrics,
    @Inject(SIP_CONFIG) private readonly config: SipConfig,
    @Inject(SIP_LOGGER) private readonly logger: Logger,
    @Inject(SIP_REDIS) private readonly redis: Redis,
  ) {
    this.guard =
      config.SIP_FLOOD_DENSITY > 0
        ? new SourceRateGuard({
            density: config.SIP_FLOOD_DENSITY,
            allow: config.SIP_FLOOD_ALLOW_CIDRS,
            onFloodStart: (ip, count, at) => void this.onFlood(ip, count, at, 'app'),
          })
        : null;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.guard) {
      const guard = this.guard;
      this.sweeper = setInterval(() => guard.sweep(Date.now()), 2_000);
      this.sweeper.unref();
    }
    const sub = createBlockingRedis(this.config.REDIS_URL, 'pbx-sip-floods');
    this.subscriber = sub;
    sub.on('error', (err: unknown) => this.logger.warn({ err }, 'flood report subscriber error'));
    sub.on('message', (_channel: string, raw: string) => {
      const r = parseFloodReport(raw);
      if (r) void this.onFlood(r.ip, r.count, r.at, 'edge');
    });
    await sub.subscribe(RedisChannels.floods);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }

  private async onFlood(ip: string, count: number, at: number, seenBy: 'edge' | 'app'): Promise<void> {
    try {
      // Every SIP app instance hears the edge's report: one of them acts on it.
      if ((await this.redis.set(`pbx:flood-handled:${ip}`, String(at), 'PX', 10_000, 'NX')) !== 'OK') return;
      const r = await this.screen.flooded(ip, count, at);
      if (r.banned) this.metrics.bans.inc({ source: 'flood' });
      this.logger.warn({ sourceIp: ip, count, seenBy, why: r.why }, 'SIP request flood');
    } catch (err) {
      this.logger.error({ err, sourceIp: ip }, 'could not act on a SIP request flood');
    }
  }
}
