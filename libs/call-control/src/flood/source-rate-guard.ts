import { cidrContains, parseCidr, parseIp, type Cidr } from '@pbx/policy';

/** The stack's own addresses: its parts talk to each other over them, so they are never limited. */
export const OWN_ADDRESSES: readonly string[] = ['127.0.0.1', '::1'];

export interface SourceRateGuardOptions {
  /** Requests per sampling unit above which a source is flooding (pike's `reqs_density_per_unit`). */
  density: number;
  /** The sampling unit (pike's `sampling_time_unit`); default 2,000 ms. */
  unitMs?: number;
  /** How long a flooding source must stay at or under the density before it is let through; default 30 s. */
  releaseAfterMs?: number;
  /** A source not seen for this long is forgotten (pike's `remove_latency`); default 60 s, at least 2 units. */
  forgetAfterMs?: number;
  /** Sources tracked at most; past it the longest-tracked are forgotten, flooding ones last. Default 100,000. */
  maxSources?: number;
  /** Addresses or CIDRs never limited, on top of `OWN_ADDRESSES`. */
  allow?: readonly string[];
  /** Called once when a source starts flooding, with the requests counted over the last unit. */
  onFloodStart?: (ip: string, count: number, at: number) => void;
  onFloodEnd?: (ip: string, at: number) => void;
}

interface Source {
  unitStart: number;
  current: number;
  previous: number;
  lastSeen: number;
  exempt: boolean;
  flooding: boolean;
  /** When the rate last fell to the density or under while flooding; -1 while it is above. */
  calmSince: number;
}

/** Share of the table freed at once when it is full, so eviction costs O(1) per new source on average. */
const EVICTION_SHARE = 16;

/** Parses an allow list; throws naming the first entry that is neither an address nor a CIDR. */
export function parseAllowList(entries: readonly string[]): Cidr[] {
  return entries.map((entry) => {
    const cidr = parseCidr(entry.trim());
    if (!cidr) throw new RangeError(`not an IP address or CIDR: ${entry}`);
    return cidr;
  });
}

/**
 * Per-source request rate limiting in the manner of Kamailio's pike module, with bounded memory and no
 * I/O. Each source IP has a request count for the current and the previous sampling unit; the rate is
 * the current count plus the share of the previous unit still inside a sliding window of one unit.
 * A source whose rate goes over the density is flooding: all its requests are refused, and still
 * counted, so a source that keeps sending stays blocked until it has been calm for `releaseAfterMs`.
 * Known sources cost a Map lookup and a few additions per request; only a new source allocates.
 */
export class SourceRateGuard {
  private readonly sources = new Map<string, Source>();
  private readonly allow: Cidr[];
  private readonly density: number;
  private readonly unitMs: number;
  private readonly releaseAfterMs: number;
  private readonly forgetAfterMs: number;
  private readonly maxSources: number;
  private floodingCount = 0;

  constructor(private readonly opts: SourceRateGuardOptions) {
    if (!Number.isInteger(opts.density) || opts.density < 1) throw new RangeError('density must be a positive integer');
    this.density = opts.density;
    this.unitMs = opts.unitMs ?? 2_000;
    if (!(this.unitMs > 0)) throw new RangeError('unitMs must be positive');
    this.releaseAfterMs = opts.releaseAfterMs ?? 30_000;
    this.forgetAfterMs = Math.max(opts.forgetAfterMs ?? 60_000, 2 * this.unitMs);
    this.maxSources = Math.max(1, opts.maxSources ?? 100_000);
    this.allow = parseAllowList([...OWN_ADDRESSES, ...(opts.allow ?? [])]);
  }

  /** Counts one request from `ip` at `now` (ms); true when its source is flooding and it must be dropped. */
  check(ip: string, now: number): boolean {
    const s = this.sources.get(ip) ?? this.track(ip, now);
    if (s.exempt) return false;
    this.roll(s, now);
    s.current++;
    s.lastSeen = now;
    const rate = this.rate(s, now);
    if (s.flooding) return this.stillFlooding(ip, s, rate, now);
    if (rate <= this.density) return false;
    s.flooding = true;
    s.calmSince = -1;
    this.floodingCount++;
    this.opts.onFloodStart?.(ip, Math.ceil(rate), now);
    return true;
  }

  /**
   * Releases flooding sources that went quiet and forgets idle ones. Call it about once a unit: a
   * source that stops sending altogether is otherwise never looked at again.
   */
  sweep(now: number): void {
    for (const [ip, s] of this.sources) {
      if (s.flooding) {
        this.roll(s, now);
        this.stillFlooding(ip, s, this.rate(s, now), now);
      } else if (now - s.lastSeen >= this.forgetAfterMs) {
        this.sources.delete(ip);
      }
    }
  }

  isFlooding(ip: string): boolean {
    return this.sources.get(ip)?.flooding === true;
  }

  /** Sources currently blocked. */
  get flooding(): number {
    return this.floodingCount;
  }

  /** Sources currently tracked (never more than `maxSources`). */
  get tracked(): number {
    return this.sources.size;
  }

  private stillFlooding(ip: string, s: Source, rate: number, now: number): boolean {
    if (rate > this.density) {
      s.calmSince = -1;
      return true;
    }
    if (s.calmSince < 0) s.calmSince = now;
    if (now - s.calmSince < this.releaseAfterMs) return true;
    s.flooding = false;
    this.floodingCount--;
    this.opts.onFloodEnd?.(ip, now);
    return false;
  }

  private roll(s: Source, now: number): void {
    const elapsed = now - s.unitStart;
    if (elapsed < this.unitMs) return;
    if (elapsed < 2 * this.unitMs) {
      s.previous = s.current;
      s.unitStart += this.unitMs;
    } else {
      s.previous = 0;
      s.unitStart = now;
    }
    s.current = 0;
  }

  private rate(s: Source, now: number): number {
    const into = Math.min(Math.max((now - s.unitStart) / this.unitMs, 0), 1);
    return s.current + s.previous * (1 - into);
  }

  private track(ip: string, now: number): Source {
    const s = (this.sources.size >= this.maxSources ? this.evict() : undefined) ?? ({} as Source);
    s.unitStart = now;
    s.current = 0;
    s.previous = 0;
    s.lastSeen = now;
    s.flooding = false;
    s.calmSince = -1;
    const addr = parseIp(ip);
    s.exempt = addr !== undefined && this.allow.some((c) => cidrContains(c, addr));
    this.sources.set(ip, s);
    return s;
  }

  /**
   * Frees a sixteenth of the table in one pass, oldest tracked first, keeping flooding sources unless
   * the table holds little else; returns one freed entry for reuse. Freeing one entry per new source
   * would make a spray of spoofed addresses cost a scan past the Map's deleted slots every time.
   */
  private evict(): Source | undefined {
    const want = Math.max(1, Math.floor(this.maxSources / EVICTION_SHARE));
    let freed = 0;
    let reuse: Source | undefined;
    for (const spareFlooders of [true, false]) {
      for (const [ip, s] of this.sources) {
        if (freed >= want) return reuse;
        if (s.flooding && spareFlooders) continue;
        this.sources.delete(ip);
        if (s.flooding) this.floodingCount--;
        reuse ??= s;
        freed++;
      }
    }
    return reuse;
  }
}
