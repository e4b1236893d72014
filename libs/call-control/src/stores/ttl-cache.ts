interface Loading<V> {
  promise: Promise<V>;
  /** Set when a drop matched the key while it loaded: the value may predate the change. */
  dropped: boolean;
}

/**
 * A bounded map whose entries expire: the SIP app's cache of accounts read from Postgres. Changes
 * arrive as invalidation messages (drop), the TTL is the backstop for a message that was lost.
 * Concurrent misses for one key share one load. A drop discards exactly the entries and the loads in
 * flight it matches: on a platform with many tenants, one tenant's change must not send every other
 * tenant's phones back to Postgres.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  private readonly loading = new Map<string, Loading<V>>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  async get(key: string, load: () => Promise<V>, now = Date.now()): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > now) return hit.value;
    const pending = this.loading.get(key);
    if (pending) return pending.promise;
    const entry: Loading<V> = { promise: Promise.resolve(undefined as V), dropped: false };
    entry.promise = load()
      .then((value) => {
        if (!entry.dropped) this.set(key, value, Date.now());
        return value;
      })
      .finally(() => {
        if (this.loading.get(key) === entry) this.loading.delete(key);
      });
    this.loading.set(key, entry);
    return entry.promise;
  }

  /** Drops keys starting with `prefix`, or everything, with the loads in flight for them. */
  drop(prefix?: string): void {
    const matches = (k: string) => prefix === undefined || k.startsWith(prefix);
    this.dropLoads(matches);
    if (prefix === undefined) {
      this.entries.clear();
      return;
    }
    for (const k of this.entries.keys()) if (matches(k)) this.entries.delete(k);
  }

  /** Drops the entries whose value passes `test`, and every load in flight (its value is not known yet). */
  dropWhere(test: (value: V) => boolean): void {
    this.dropLoads(() => true);
    for (const [k, e] of this.entries) if (test(e.value)) this.entries.delete(k);
  }

  get size(): number {
    return this.entries.size;
  }

  private dropLoads(matches: (key: string) => boolean): void {
    // Later gets start a fresh load instead of sharing one that may predate the change.
    for (const [k, l] of this.loading)
      if (matches(k)) {
        l.dropped = true;
        this.loading.delete(k);
      }
  }

  private set(key: string, value: V, now: number): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { value, expiresAt: now + this.ttlMs });
  }
}
