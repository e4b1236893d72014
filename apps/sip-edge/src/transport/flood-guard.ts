import { SourceRateGuard } from '@pbx/call-control/flood/source-rate-guard';
import { createLogger, type FloodReport, type Logger } from '@pbx/common';
import type { FloodGuardLike } from './transport';

export interface FloodGuardOptions {
  /** Requests per unit (2 s by default) above which a source is flooding; must be at least 1. */
  density: number;
  /** Addresses or CIDRs never limited, besides 127.0.0.1 and ::1. */
  allowCidrs?: readonly string[];
  unitMs?: number;
  releaseAfterMs?: number;
  maxSources?: number;
  logger?: Logger;
  /** Told once each time a source starts flooding (the edge publishes it on Redis for the SIP app). */
  report?: (report: FloodReport) => Promise<void> | void;
}

/**
 * The edge's per-source request-rate guard: the pure `SourceRateGuard` on the wall clock, swept once
 * a unit, with the counters the metrics read and one log line (and one report) when a source starts
 * flooding, never one per dropped packet.
 */
export class FloodGuard implements FloodGuardLike {
  /** Requests and connections refused since start. */
  dropped = 0;
  private readonly guard: SourceRateGuard;
  private readonly sweeper: NodeJS.Timeout;

  constructor(opts: FloodGuardOptions) {
    const logger = opts.logger ?? createLogger('sip-edge-flood-guard');
    const report = opts.report;
    this.guard = new SourceRateGuard({
      density: opts.density,
      unitMs: opts.unitMs,
      releaseAfterMs: opts.releaseAfterMs,
      maxSources: opts.maxSources,
      allow: opts.allowCidrs,
      onFloodStart: (ip, count, at) => {
        logger.warn({ ip, count, density: opts.density }, 'source is flooding: dropping its requests before parsing');
        if (!report) return;
        Promise.resolve()
          .then(() => report({ ip, at, count }))
          .catch((err: unknown) => logger.warn({ err, ip }, 'flood report failed'));
      },
      onFloodEnd: (ip) => logger.info({ ip }, 'source no longer flooding'),
    });
    this.sweeper = setInterval(() => this.guard.sweep(Date.now()), opts.unitMs ?? 2_000);
    this.sweeper.unref();
  }

  hit(ip: string): boolean {
    if (!this.guard.check(ip, Date.now())) return false;
    this.dropped++;
    return true;
  }

  /** Sources blocked right now. */
  get blocked(): number {
    return this.guard.flooding;
  }

  isFlooding(ip: string): boolean {
    return this.guard.isFlooding(ip);
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}
