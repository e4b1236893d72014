import { addToBucket, advance, emptyBaseline, threshold, type BaselineSpec } from './baseline';

const SPEC: BaselineSpec = { widthMs: 60_000, alpha: 0.1, k: 4, floor: 5, warmBuckets: 10 };

function feed(perBucket: number[]) {
  let b = emptyBaseline();
  perBucket.forEach((count, i) => {
    b = advance(b, i * 60_000, SPEC);
    b = addToBucket(b, count);
  });
  return advance(b, perBucket.length * 60_000, SPEC);
}

describe('baseline (EWMA with variance)', () => {
  it('learns a steady rhythm and its spread', () => {
    const b = feed(Array.from({ length: 200 }, (_, i) => (i % 2 ? 18 : 22)));
    expect(b.mean).toBeCloseTo(20, 0);
    expect(Math.sqrt(b.variance)).toBeGreaterThan(1);
    expect(Math.sqrt(b.variance)).toBeLessThan(3);
    expect(threshold(b, SPEC)).toBeGreaterThan(24);
    expect(threshold(b, SPEC)).toBeLessThan(33);
  });

  it('keeps the cold-start floor until warm, and as a lower bound after', () => {
    expect(threshold(feed([1, 1, 1]), SPEC)).toBe(5);
    expect(threshold(feed(Array(50).fill(0)), SPEC)).toBe(5);
  });

  it('counts idle buckets as zeros, so a quiet night lowers the baseline', () => {
    let b = feed(Array(100).fill(20));
    b = advance(b, 400 * 60_000, SPEC);
    expect(b.mean).toBeLessThan(1);
  });

  it('puts a late event into the current bucket', () => {
    let b = feed(Array(20).fill(3));
    const before = b.bucket;
    b = advance(b, 2 * 60_000, SPEC);
    expect(b.bucket).toBe(before);
  });
});
