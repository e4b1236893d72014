import { isDigits, PrefixTrie } from './prefix-trie';

describe('PrefixTrie', () => {
  const trie = PrefixTrie.build<string>([
    ['44', 'uk'],
    ['447', 'uk-mobile'],
    ['4420', 'london'],
    ['1', 'nanp'],
  ]);

  it('returns the value of the longest matching prefix', () => {
    expect(trie.longest('447911123456')).toBe('uk-mobile');
    expect(trie.longest('442079460018')).toBe('london');
    expect(trie.longest('441632960000')).toBe('uk');
    expect(trie.longest('12025550100')).toBe('nanp');
  });

  it('returns undefined when no prefix matches', () => {
    expect(trie.longest('33123456789')).toBeUndefined();
    expect(trie.longest('4')).toBeUndefined();
    expect(trie.longest('')).toBeUndefined();
  });

  it('reads from an offset and stops at the first non-digit', () => {
    expect(trie.longest('+447911', 1)).toBe('uk-mobile');
    expect(trie.longest('44x7')).toBe('uk');
  });

  it('matches a prefix equal to the whole number', () => {
    expect(trie.longest('4420')).toBe('london');
  });

  it('resolves duplicate prefixes with the resolver, last one by default', () => {
    expect(
      PrefixTrie.build([
        ['1', 'a'],
        ['1', 'b'],
      ]).longest('1'),
    ).toBe('b');
    const keepFirst = PrefixTrie.build<string>(
      [
        ['1', 'a'],
        ['1', 'b'],
      ],
      (existing) => existing,
    );
    expect(keepFirst.longest('1')).toBe('a');
  });

  it('reports its size and memory', () => {
    expect(trie.size).toBe(4);
    // root, 1, 4, 44, 442, 4420, 447
    expect(trie.nodeCount).toBe(7);
    expect(trie.byteLength).toBe(7 * 10 * 4 + 7 * 4);
  });

  it('handles an empty trie', () => {
    expect(PrefixTrie.build<string>([]).longest('123')).toBeUndefined();
  });
});

describe('isDigits', () => {
  it.each([
    ['123', true],
    ['0', true],
    ['', false],
    ['+1', false],
    ['12a', false],
    ['1 2', false],
  ])('%s → %s', (value, expected) => {
    expect(isDigits(value)).toBe(expected);
  });
});
