import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The SIP app's own figures, beside the process metrics every app exports. */
export class SipMetrics {
  readonly registers: Counter<'outcome' | 'transport'>;
  readonly authFailures: Counter<'reason'>;
  readonly bans: Counter<'source'>;
  readonly scanners: Counter<'banned'>;
  readonly registerSeconds: Histogram;
  readonly floodDropped: Counter;
  readonly bannedDropped: Counter;
  readonly invites: Counter<'outcome'>;
  readonly calls: Counter<'disposition'>;
  readonly activeCalls: Gauge;
  readonly policyDenials: Counter<'rule'>;

  constructor(registry: Registry) {
    this.registers = new Counter({
      name: 'sip_register_requests_total',
      help: 'REGISTER requests by outcome (registered, unregistered, challenged, stale, refused, failed, replayed, invalid) and transport',
      labelNames: ['outcome', 'transport'],
      registers: [registry],
    });
    this.authFailures = new Counter({
      name: 'sip_auth_failures_total',
      help: 'Failed or refused SIP logins by reason',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.bans = new Counter({
      name: 'sip_bans_total',
      help: 'Addresses banned at the edge by the SIP app, by cause',
      labelNames: ['source'],
      registers: [registry],
    });
    this.scanners = new Counter({
      name: 'sip_scanner_requests_total',
      help: 'Requests recognised as coming from SIP scanners',
      labelNames: ['banned'],
      registers: [registry],
    });
    this.floodDropped = new Counter({
      name: 'sip_flood_dropped_total',
      help: 'Requests dropped unanswered by the app because their source was flooding',
      registers: [registry],
    });
    this.bannedDropped = new Counter({
      name: 'sip_banned_dropped_total',
      help: 'Requests dropped unanswered by the app because their source is banned platform-wide',
      registers: [registry],
    });
    this.invites = new Counter({
      name: 'sip_invites_total',
      help: 'New INVITEs by outcome: routed, or the status they were refused with',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.calls = new Counter({
      name: 'sip_calls_total',
      help: 'Calls carried by the B2BUA, by disposition when they ended',
      labelNames: ['disposition'],
      registers: [registry],
    });
    this.policyDenials = new Counter({
      name: 'sip_policy_denials_total',
      help: 'Calls refused by the fraud gate, by the rule label that decided (e.g. country:FR, concurrency:device, cap:daily)',
      labelNames: ['rule'],
      registers: [registry],
    });
    this.activeCalls = new Gauge({ name: 'sip_active_calls', help: 'Calls in progress in this process', registers: [registry] });
    this.registerSeconds = new Histogram({
      name: 'sip_register_duration_seconds',
      help: 'Time from a REGISTER reaching the app to its answer',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    });
  }
}
