/** A `gc` function as `node --expose-gc` installs it (V8's options object). */
export type GcFunction = (options?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async' }) => unknown;

export interface BurstEndGcOptions {
  /** Live transactions (and whatever else a burst leaves behind) right now. */
  live: () => number;
  /** The collector to call; `globalThis.gc` when the process runs with `--expose-gc`. */
  gc?: GcFunction;
  /** A burst is a peak of at least this many live transactions. Default 10,000. */
  minPeak?: number;
  /** The burst is over when fewer than this fraction of the peak is left. Default 0.01. */
  endFraction?: number;
  intervalMs?: number;
}

/**
 * Gives the memory of a load burst back once the burst is over. Hundreds of thousands of completed
 * transactions end in the old generation and die there when Timer J expires; with no traffic left nothing
 * allocates, so V8 starts no major GC, and its memory reducer (a few GCs in the seconds after the last one)
 * has usually given up before Timer J's 32 s are over. The heap then stays at its peak until traffic comes
 * back. This runs one concurrent major GC when the live transactions fall from a large peak to almost
 * none; V8 then unmaps the pages it no longer needs. It needs `--expose-gc` (the edge's start scripts pass
 * it) and does nothing without it.
 */
export class BurstEndGc {
  private peak = 0;
  private timer?: NodeJS.Timeout;
  /** How many collections it ran (for tests and the log). */
  collections = 0;

  constructor(private readonly opts: BurstEndGcOptions) {}

  start(): this {
    if (!this.opts.gc || this.timer) return this;
    this.timer = setInterval(() => this.check(), this.opts.intervalMs ?? 2_000);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  check(): void {
    const live = this.opts.live();
    this.peak = Math.max(this.peak, live);
    if (this.peak < (this.opts.minPeak ?? 10_000)) return;
    if (live >= this.peak * (this.opts.endFraction ?? 0.01)) return;
    this.peak = live;
    this.collections++;
    this.opts.gc?.({ type: 'major', execution: 'async' });
  }
}
