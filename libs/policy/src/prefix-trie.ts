const FANOUT = 10;
const NO_VALUE = -1;
const CHAR_0 = 48;

export function isDigits(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const d = value.charCodeAt(i) - CHAR_0;
    if (d < 0 || d > 9) return false;
  }
  return true;
}

/**
 * Decimal-digit trie stored in flat typed arrays: node n's children sit at next[n*10 .. n*10+9]
 * (0 = none, since the root is never a child), slots[n] indexes `values` or is -1.
 */
export class PrefixTrie<T> {
  private constructor(
    private readonly next: Int32Array,
    private readonly slots: Int32Array,
    private readonly values: readonly T[],
  ) {}

  /**
   * Prefixes must be digit strings (callers validate). When a prefix repeats, `resolve` picks the
   * value to keep; by default the last one.
   */
  static build<T>(
    entries: Iterable<readonly [string, T]>,
    resolve: (existing: T, incoming: T) => T = (_existing, incoming) => incoming,
  ): PrefixTrie<T> {
    const next: number[] = new Array<number>(FANOUT).fill(0);
    const slots: number[] = [NO_VALUE];
    const values: T[] = [];
    for (const [prefix, value] of entries) {
      let node = 0;
      for (let i = 0; i < prefix.length; i++) {
        const edge = node * FANOUT + prefix.charCodeAt(i) - CHAR_0;
        let child = next[edge];
        if (child === 0) {
          child = slots.length;
          slots.push(NO_VALUE);
          for (let k = 0; k < FANOUT; k++) next.push(0);
          next[edge] = child;
        }
        node = child;
      }
      const slot = slots[node];
      if (slot === NO_VALUE) {
        slots[node] = values.length;
        values.push(value);
      } else {
        values[slot] = resolve(values[slot], value);
      }
    }
    return new PrefixTrie(Int32Array.from(next), Int32Array.from(slots), values);
  }

  /** Value of the longest stored prefix of `digits[from..]`; stops at the first non-digit. */
  longest(digits: string, from = 0): T | undefined {
    const { next, slots } = this;
    let node = 0;
    let best = slots[0];
    for (let i = from; i < digits.length; i++) {
      const d = digits.charCodeAt(i) - CHAR_0;
      if (d < 0 || d > 9) break;
      node = next[node * FANOUT + d];
      if (node === 0) break;
      const slot = slots[node];
      if (slot !== NO_VALUE) best = slot;
    }
    return best === NO_VALUE ? undefined : this.values[best];
  }

  get size(): number {
    return this.values.length;
  }

  get nodeCount(): number {
    return this.slots.length;
  }

  get byteLength(): number {
    return this.next.byteLength + this.slots.byteLength;
  }
}
