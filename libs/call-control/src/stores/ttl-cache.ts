/**
 * A bounded map whose entries expire: the SIP app's cache of accounts read from Postgres. Changes
 * arrive as invalidation messages (drop), the TTL is the backstop for a message that was lost.
 * Concurrent misses for one key share one load.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  private readonly loading = new Map<string, Promise<V>>();
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  async get(key: string, load: () => Promise<V>, now = Date.now()): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > now) return hit.value;
    const pending = this.loading.get(key);
    if (pending) return pending;
    const generation = this.generation;
    const p = load()
      .then((value) => {
        // A drop that happened while loading means the value may predate the change: don't keep it.
        if (generation === this.generation) this.set(key, value, Date.now());
        return value;
      })
      .finally(() => this.loading.delete(key));
    this.loading.set(key, p);
    return p;
  }

  /** Drops keys starting with `prefix`, or everything. */
  drop(prefix?: string): void {
    this.generation++;
    if (prefix === undefined) {
      this.entries.clear();
      return;
    }
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }

  get size(): number {
    return this.entries.size;
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
