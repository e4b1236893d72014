import { Counter, Gauge, Registry } from 'prom-client';

/**
 * A Prometheus counter with at most one label that is cheap to bump: `inc` adds to a plain number per label
 * value and the prom-client counter catches up when scraped. prom-client's own `inc` hashes the label object
 * into a string on every call, and the edge bumps several counters for every SIP message.
 */
export class HotCounter<L extends string = never> {
  private readonly counter: Counter<L>;
  private readonly label?: L;
  private pending = new Map<string, number>();
  private unlabelled = 0;

  constructor(cfg: { name: string; help: string; labelNames?: readonly L[]; registers: Registry[] }) {
    const flush = () => this.flush();
    this.label = cfg.labelNames?.[0];
    this.counter = new Counter<L>({
      name: cfg.name,
      help: cfg.help,
      labelNames: cfg.labelNames ?? [],
      registers: cfg.registers,
      collect() {
        flush();
      },
    });
  }

  inc(labels?: Partial<Record<L, string>>, value = 1): void {
    const key = labels && this.label ? labels[this.label] : undefined;
    if (key === undefined) this.unlabelled += value;
    else this.pending.set(key, (this.pending.get(key) ?? 0) + value);
  }

  private flush(): void {
    if (this.unlabelled > 0) {
      this.counter.inc(this.unlabelled);
      this.unlabelled = 0;
    }
    if (this.pending.size === 0 || !this.label) return;
    for (const [value, n] of this.pending) this.counter.inc({ [this.label]: value } as Partial<Record<L, string>>, n);
    this.pending = new Map();
  }
}

/**
 * The flood guard's figures, read on scrape: what it dropped (a plain number it bumps on the hot path)
 * and how many sources it blocks now.
 */
export function registerFloodMetrics(registry: Registry, guard: { readonly dropped: number; readonly blocked: number }): void {
  let counted = 0;
  new Counter({
    name: 'sip_edge_flood_dropped_total',
    help: 'Datagrams, stream messages and connections dropped before parsing because their source was flooding',
    registers: [registry],
    collect() {
      if (guard.dropped > counted) this.inc(guard.dropped - counted);
      counted = guard.dropped;
    },
  });
  new Gauge({
    name: 'sip_edge_flood_sources_blocked',
    help: 'Source IPs currently blocked by the flood guard',
    registers: [registry],
    collect() {
      this.set(guard.blocked);
    },
  });
}

/** Prometheus metrics of the edge; counters are bumped on the hot path, gauges sampled on scrape. */
export class EdgeMetrics {
  readonly sipReceived: HotCounter<'kind'>;
  readonly sipSent: HotCounter;
  readonly sendErrors: HotCounter;
  readonly appFrames: HotCounter<'direction'>;
  readonly drops: HotCounter<'reason'>;

  constructor(registry?: Registry, gauges?: { transactions: () => number; dialogs: () => number; apps: () => number }) {
    const registers = registry ? [registry] : [];
    this.sipReceived = new HotCounter({
      name: 'sip_edge_messages_received_total',
      help: 'SIP messages received from the network',
      labelNames: ['kind'],
      registers,
    });
    this.sipSent = new HotCounter({ name: 'sip_edge_messages_sent_total', help: 'SIP messages sent', registers });
    this.sendErrors = new HotCounter({ name: 'sip_edge_send_errors_total', help: 'SIP sends that failed', registers });
    this.appFrames = new HotCounter({
      name: 'sip_edge_app_frames_total',
      help: 'Frames exchanged with drachtio-srf apps',
      labelNames: ['direction'],
      registers,
    });
    this.drops = new HotCounter({
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
