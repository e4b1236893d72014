import { Counter, Gauge, Registry } from 'prom-client';

/** Prometheus metrics of the edge; counters are bumped on the hot path, gauges sampled on scrape. */
export class EdgeMetrics {
  readonly sipReceived: Counter<'kind'>;
  readonly sipSent: Counter;
  readonly sendErrors: Counter;
  readonly appFrames: Counter<'direction'>;
  readonly drops: Counter<'reason'>;

  constructor(registry?: Registry, gauges?: { transactions: () => number; dialogs: () => number; apps: () => number }) {
    const registers = registry ? [registry] : [];
    this.sipReceived = new Counter({
      name: 'sip_edge_messages_received_total',
      help: 'SIP messages received from the network',
      labelNames: ['kind'],
      registers,
    });
    this.sipSent = new Counter({ name: 'sip_edge_messages_sent_total', help: 'SIP messages sent', registers });
    this.sendErrors = new Counter({ name: 'sip_edge_send_errors_total', help: 'SIP sends that failed', registers });
    this.appFrames = new Counter({
      name: 'sip_edge_app_frames_total',
      help: 'Frames exchanged with drachtio-srf apps',
      labelNames: ['direction'],
      registers,
    });
    this.drops = new Counter({
      name: 'sip_edge_dropped_total',
      help: 'SIP messages dropped or refused by the edge',
      labelNames: ['reason'],
      registers,
    });
    if (registry && gauges) {
      new Gauge({
        name: 'sip_edge_transactions',
        help: 'Live SIP transactions',
        registers,
        collect() {
          this.set(gauges.transactions());
        },
      });
      new Gauge({
        name: 'sip_edge_dialogs',
        help: 'Live SIP dialogs',
        registers,
        collect() {
          this.set(gauges.dialogs());
        },
      });
      new Gauge({
        name: 'sip_edge_app_connections',
        help: 'Connected drachtio-srf apps',
        registers,
        collect() {
          this.set(gauges.apps());
        },
      });
    }
  }
}
