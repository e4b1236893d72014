import { Inject, Injectable } from '@nestjs/common';
import { ScreenRequestUseCase } from '@pbx/call-control';
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import { BanListService } from '../registrar/ban-list.service';
import { FloodWatchService } from '../registrar/flood-watch.service';
import { headerReader, sourceOf } from '../registrar/request-facts';
import { SipMetrics } from '../registrar/sip-metrics';
import { SIP_LOGGER } from '../sip.tokens';

/**
 * First in every chain: a banned or flooding source is dropped unanswered (under drachtio-server, which
 * has neither a drop list nor a flood guard), and SIP scanners are refused and banned before anything else looks at them.
 */
@Injectable()
export class ScreeningMiddleware {
  constructor(
    private readonly bans: BanListService,
    private readonly floods: FloodWatchService,
    private readonly screen: ScreenRequestUseCase,
    private readonly metrics: SipMetrics,
    @Inject(SIP_LOGGER) private readonly logger: Logger,
  ) {}

  readonly handle = (req: Srf.SrfRequest, res: Srf.SrfResponse, next: (err?: unknown) => void): void => {
    this.run(req, res, next).catch(next);
  };

  private async run(req: Srf.SrfRequest, res: Srf.SrfResponse, next: () => void): Promise<void> {
    const src = sourceOf(req);
    const now = Date.now();
    if (this.bans.has(src.ip)) {
      this.metrics.bannedDropped.inc();
      return;
    }
    if (this.floods.guard?.check(src.ip, now)) {
      this.metrics.floodDropped.inc();
      return;
    }
    const h = headerReader(req);
    const r = await this.screen.execute({ sourceIp: src.ip, userAgent: h('user-agent'), from: h('from'), now });
    if (r.kind === 'pass') return next();
    this.metrics.scanners.inc({ banned: String(r.banned) });
    if (r.banned) this.metrics.bans.inc({ source: 'scanner' });
    this.logger.warn({ sourceIp: src.ip, method: req.method, signature: r.signature, why: r.why }, 'SIP scanner refused');
    // ACK has no answer; anything else gets a plain 403 that tells the scanner nothing.
    if (req.method !== 'ACK') res.send(403, 'Forbidden', {});
  }
}
