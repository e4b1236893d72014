/**
 * Hashed timer wheel: one coarse interval drives every SIP timer instead of one setTimeout each.
 * Under load there are hundreds of thousands of live transactions (Timer J keeps a UDP non-INVITE server
 * transaction 32 s); a wheel keeps scheduling and cancelling O(1). Resolution is `tickMs`.
 */
export interface TimerHandle {
  cancel(): void;
}

/** One scheduled callback; a class (not closures) because hundreds of thousands may be live at once. */
class Entry implements TimerHandle {
  cancelled = false;

  constructor(
    public rounds: number,
    public fn: () => void,
    private readonly wheel: TimerWheel,
  ) {}

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    // The entry stays in its slot until visited; drop the callback now so it pins nothing.
    this.fn = noop;
    this.wheel.released();
  }
}

const noop = (): void => undefined;

export class TimerWheel {
  private readonly slots: Entry[][];
  private cursor = 0;
  private interval?: NodeJS.Timeout;
  private live = 0;

  constructor(
    private readonly tickMs = 10,
    slotCount = 1024,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    this.slots = Array.from({ length: slotCount }, () => []);
  }

  get size(): number {
    return this.live;
  }

  schedule(delayMs: number, fn: () => void): TimerHandle {
    const ticks = Math.max(1, Math.ceil(delayMs / this.tickMs));
    const n = this.slots.length;
    const entry = new Entry(Math.floor((ticks - 1) / n), fn, this);
    this.slots[(this.cursor + ticks) % n].push(entry);
    this.live++;
    this.ensureRunning();
    return entry;
  }

  /** Bookkeeping for a cancelled entry (called by Entry.cancel). */
  released(): void {
    this.live--;
  }

  stop(): void {
    if (this.interval) clearInterval(this.interval);
    this.interval = undefined;
  }

  private ensureRunning(): void {
    if (this.interval) return;
    let last = Date.now();
    this.interval = setInterval(() => {
      // Catch up if the event loop was blocked, so timers never drift late by more than one tick.
      const now = Date.now();
      let due = Math.max(1, Math.floor((now - last) / this.tickMs));
      last += due * this.tickMs;
      while (due-- > 0) this.tick();
      if (this.live === 0) this.stop();
    }, this.tickMs);
    this.interval.unref();
  }

  private tick(): void {
    this.cursor = (this.cursor + 1) % this.slots.length;
    const slot = this.slots[this.cursor];
    if (slot.length === 0) return;
    const keep: Entry[] = [];
    const fire: Entry[] = [];
    for (const e of slot) {
      if (e.cancelled) continue;
      if (e.rounds > 0) {
        e.rounds--;
        keep.push(e);
      } else fire.push(e);
    }
    this.slots[this.cursor] = keep;
    for (const e of fire) {
      if (e.cancelled) continue;
      e.cancelled = true;
      this.live--;
      try {
        e.fn();
      } catch (err) {
        // One broken timer callback must not stop every other SIP timer (or the process).
        this.onError(err);
      }
    }
  }
}
