import { jsonShapeProblem } from './json-body';

const limits = { maxDepth: 4, maxKeys: 3 };

describe('jsonShapeProblem', () => {
  it('accepts bodies within both limits', () => {
    expect(jsonShapeProblem('{"a":[[{"b":1}]],"c":"x"}', limits)).toBeNull();
    expect(jsonShapeProblem('[[[[]]]]', limits)).toBeNull();
  });

  it('refuses nesting one level too deep, in arrays and objects alike', () => {
    expect(jsonShapeProblem('[[[[[]]]]]', limits)).toBe('depth');
    expect(jsonShapeProblem('{"a":{"a":{"a":{"a":{}}}}}', { ...limits, maxKeys: 10 })).toBe('depth');
    expect(jsonShapeProblem('['.repeat(100_000), limits)).toBe('depth');
  });

  it('counts keys across the whole document', () => {
    expect(jsonShapeProblem('{"a":1,"b":{"c":2}}', limits)).toBeNull();
    expect(jsonShapeProblem('{"a":1,"b":{"c":2,"d":3}}', limits)).toBe('keys');
  });

  it('ignores brackets, colons and escaped quotes inside strings', () => {
    expect(jsonShapeProblem('{"a":"[[[[[[:::]]]]]]","b":"\\"[[[[[[\\""}', limits)).toBeNull();
    expect(jsonShapeProblem('["\\\\",[[[[]]]]]', limits)).toBe('depth');
  });
});
