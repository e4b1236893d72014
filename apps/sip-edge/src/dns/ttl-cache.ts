/**
 * A map whose entries expire and whose size is bounded: past `maxEntries` the least recently used
 * entry goes. DNS answers are keyed by names that untrusted SIP peers choose, so growth must stop.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {
    if (maxEntries < 1) throw new Error('a cache needs room for at least one entry');
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= this.now()) return undefined;
    this.entries.set(key, entry); // Map order is insertion order: re-inserting marks it most recently used
    return entry.value;
  }

  /** Keeps `value` for `ttlMs`; a TTL of zero or less means "do not cache" (RFC 1035 §3.2.1). */
  set(key: string, value: V, ttlMs: number): void {
    this.entries.delete(key);
    if (ttlMs <= 0) return;
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
  }
}
