import type { LegQuality } from '@pbx/call-control';
import { Counter, Histogram, type Registry } from 'prom-client';

/** Media figures of the SIP app: anchoring outcomes, RTP timeouts and per-leg quality at call end. */
export class MediaMetrics {
  readonly anchored: Counter<'outcome'>;
  readonly endedByMedia: Counter<'reason'>;
  readonly mos: Histogram<'leg'>;
  readonly jitter: Histogram<'leg'>;
  readonly loss: Histogram<'leg'>;
  readonly packets: Counter<'leg'>;

  constructor(registry: Registry) {
    this.anchored = new Counter({
      name: 'sip_media_anchoring_total',
      help: 'Calls by media anchoring outcome (anchored, unanchored when a trunk allows it, refused when rtpengine failed)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.endedByMedia = new Counter({
      name: 'sip_media_calls_ended_total',
      help: 'Answered calls ended because of their media (rtp_timeout, relay_lost)',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.mos = new Histogram({
      name: 'sip_media_mos',
      help: 'MOS per call leg at call end (rtpengine, else an E-model estimate)',
      labelNames: ['leg'],
      buckets: [1, 2, 2.5, 3, 3.5, 3.8, 4, 4.2, 4.4, 5],
      registers: [registry],
    });
    this.jitter = new Histogram({
      name: 'sip_media_jitter_ms',
      help: 'Average jitter per call leg at call end, in milliseconds',
      labelNames: ['leg'],
      buckets: [1, 5, 10, 20, 30, 50, 100, 200],
      registers: [registry],
    });
    this.loss = new Histogram({
      name: 'sip_media_packet_loss_percent',
      help: 'Packet loss per call leg at call end, in percent',
      labelNames: ['leg'],
      buckets: [0, 0.5, 1, 2, 5, 10, 20, 50],
      registers: [registry],
    });
    this.packets = new Counter({
      name: 'sip_media_rtp_packets_total',
      help: 'RTP packets received from call legs, counted at call end',
      labelNames: ['leg'],
      registers: [registry],
    });
  }

  observe(leg: 'caller' | 'callee', q: LegQuality | null): void {
    if (!q) return;
    this.packets.inc({ leg }, q.packets);
    if (q.mos !== null) this.mos.observe({ leg }, q.mos);
    if (q.jitterMs !== null) this.jitter.observe({ leg }, q.jitterMs);
    if (q.packetsLostPercent !== null) this.loss.observe({ leg }, q.packetsLostPercent);
  }
}
