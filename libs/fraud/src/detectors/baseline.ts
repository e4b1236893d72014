/**
 * An exponentially weighted mean and variance of a per-bucket value (calls per 5 minutes, peak
 * concurrency per 15 minutes…), so a threshold follows each device's and tenant's own rhythm
 * (Finch, "Incremental calculation of weighted mean and variance", 2009). Buckets with nothing in
 * them count as zeros, up to MAX_EMPTY_FOLDS, so a quiet night pulls the baseline down.
 */
export interface Baseline {
  mean: number;
  variance: number;
  /** Buckets folded in so far (capped), to tell a cold baseline from a learned one. */
  n: number;
  /** Index of the bucket being filled (epoch ms / width). */
  bucket: number;
  /** Value of that bucket so far. */
  current: number;
}

export interface BaselineSpec {
  widthMs: number;
  alpha: number;
  /** Standard deviations above the mean that count as a spike. */
  k: number;
  /** Cold-start floor: a spike must also exceed this, learned or not. */
  floor: number;
  /** Buckets needed before the learned part of the threshold is trusted. */
  warmBuckets: number;
}

const MAX_EMPTY_FOLDS = 288;
const N_CAP = 10_000;

export const emptyBaseline = (): Baseline => ({ mean: 0, variance: 0, n: 0, bucket: -1, current: 0 });

function fold(b: Baseline, x: number, alpha: number): Baseline {
  if (b.n === 0) return { ...b, mean: x, variance: 0, n: 1 };
  const diff = x - b.mean;
  const incr = alpha * diff;
  return { ...b, mean: b.mean + incr, variance: (1 - alpha) * (b.variance + diff * incr), n: Math.min(N_CAP, b.n + 1) };
}

/** Moves the baseline to the bucket holding `at`, folding in the buckets that closed before it. */
export function advance(b: Baseline, at: number, spec: BaselineSpec): Baseline {
  const idx = Math.floor(at / spec.widthMs);
  // A late event (retried or reordered) lands in the current bucket rather than rewriting history.
  if (b.bucket < 0) return { ...b, bucket: idx, current: 0 };
  if (idx <= b.bucket) return b;
  let next = fold(b, b.current, spec.alpha);
  const empties = Math.min(MAX_EMPTY_FOLDS, idx - b.bucket - 1);
  for (let i = 0; i < empties; i++) next = fold(next, 0, spec.alpha);
  return { ...next, bucket: idx, current: 0 };
}

export const addToBucket = (b: Baseline, value: number): Baseline => ({ ...b, current: b.current + value });
export const maxIntoBucket = (b: Baseline, value: number): Baseline => ({ ...b, current: Math.max(b.current, value) });

/** The value above which an observation is a spike: the floor, or mean + k·σ once the baseline is warm. */
export function threshold(b: Baseline, spec: BaselineSpec): number {
  if (b.n < spec.warmBuckets) return spec.floor;
  return Math.max(spec.floor, b.mean + spec.k * Math.sqrt(Math.max(0, b.variance)));
}
