/**
 * Hashed timer wheel: one coarse interval drives every SIP timer instead of one setTimeout each.
 * Under load there are hundreds of thousands of live timers; a wheel keeps scheduling and cancelling O(1).
 * Resolution is `tickMs`.
 */
export interface TimerHandle {
  cancel(): void;
}

/**
 * One scheduled callback, linked into its slot's list. A cancelled entry unlinks itself at once, so the
 * many timers cancelled within milliseconds (a request answered long before its 64·T1 guard) are garbage
 * straight away, die young, and never reach the old generation.
 */
class Entry implements TimerHandle {
  prev: Entry = this;
  next: Entry = this;

  constructor(
    public rounds: number,
    public fn: (() => void) | undefined,
    private readonly wheel: TimerWheel | undefined,
  ) {}

  cancel(): void {
    if (this.fn === undefined) return;
    this.fn = undefined;
    this.unlink();
    this.wheel?.released();
  }

  unlink(): void {
    this.prev.next = this.next;
    this.next.prev = this.prev;
    this.prev = this;
    this.next = this;
  }
}

export class TimerWheel {
  /** One sentinel per slot heads a circular list of that slot's entries, in scheduling order. */
  private readonly slots: Entry[];
  private readonly due: Entry[] = [];
  private cursor = 0;
  private interval?: NodeJS.Timeout;
  private live = 0;

  constructor(
    private readonly tickMs = 10,
    slotCount = 1024,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    this.slots = Array.from({ length: slotCount }, () => new Entry(0, undefined, undefined));
  }

  get size(): number {
    return this.live;
  }

  schedule(delayMs: number, fn: () => void): TimerHandle {
    const ticks = Math.max(1, Math.ceil(delayMs / this.tickMs));
    const n = this.slots.length;
    const entry = new Entry(Math.floor((ticks - 1) / n), fn, this);
    const head = this.slots[(this.cursor + ticks) % n];
    entry.prev = head.prev;
    entry.next = head;
    head.prev.next = entry;
    head.prev = entry;
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
    const head = this.slots[this.cursor];
    // Unlink what is due before running anything: a callback may schedule into this very slot (a full
    // rotation later) or cancel an entry that is due in this same tick.
    const due = this.due;
    for (let e = head.next; e !== head; ) {
      const next = e.next;
      if (e.rounds > 0) e.rounds--;
      else {
        e.unlink();
        due.push(e);
      }
      e = next;
    }
    for (let i = 0; i < due.length; i++) {
      const e = due[i];
      const fn = e.fn;
      if (fn === undefined) continue;
      e.fn = undefined;
      this.live--;
      try {
        fn();
      } catch (err) {
        // One broken timer callback must not stop every other SIP timer (or the process).
        this.onError(err);
      }
    }
    due.length = 0;
  }
}
