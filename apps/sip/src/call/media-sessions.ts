import { Inject, Injectable } from '@nestjs/common';
import type { CallPlan } from '@pbx/call-control';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { SIP_CONFIG, type SipConfig } from '../config/sip-config';
import { SIP_LOGGER, SIP_METRICS } from '../sip.tokens';
import { MediaMetrics } from './media-metrics';
import { MediaSession } from './media-session';
import { RtpengineService } from './rtpengine.service';

/** Makes the MediaSession of each new call, with what every one of them shares. */
@Injectable()
export class MediaSessions {
  private readonly metrics: MediaMetrics;

  constructor(
    private readonly rtpengine: RtpengineService,
    @Inject(SIP_CONFIG) private readonly config: SipConfig,
    @Inject(SIP_LOGGER) private readonly logger: Logger,
    @Inject(SIP_METRICS) registry: Registry,
  ) {
    this.metrics = new MediaMetrics(registry);
  }

  create(callId: string, plan: CallPlan): MediaSession {
    return new MediaSession(callId, plan, {
      rtpengine: this.rtpengine,
      metrics: this.metrics,
      logger: this.logger,
      rtpTimeoutSeconds: this.config.MEDIA_RTP_TIMEOUT_SECONDS,
      checkIntervalMs: this.config.MEDIA_CHECK_INTERVAL_MS,
    });
  }
}
