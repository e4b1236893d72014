import { RouteCandidate, selectRoutes } from './routing';

const r = (id: string, prefix: string, priority = 100): RouteCandidate => ({
  id,
  prefix,
  priority,
  trunkId: `t-${id}`,
});

describe('selectRoutes', () => {
  const routes = [
    r('default', ''),
    r('uk', '+44', 10),
    r('uk-backup', '44', 20),
    r('london', '+4420', 50),
    r('us', '+1'),
    r('uk-mobile', '+447'),
  ];

  it('orders matches by longest prefix, then priority', () => {
    expect(selectRoutes(routes, '+442079460000').map((x) => x.id)).toEqual([
      'london',
      'uk',
      'uk-backup',
      'default',
    ]);
    expect(selectRoutes(routes, '+447700900123').map((x) => x.id)).toEqual([
      'uk-mobile',
      'uk',
      'uk-backup',
      'default',
    ]);
    expect(selectRoutes(routes, '+12025550100').map((x) => x.id)).toEqual(['us', 'default']);
  });

  it('returns nothing when no route matches, and never mutates its input', () => {
    const copy = [...routes];
    expect(
      selectRoutes(
        routes.filter((x) => x.prefix !== ''),
        '+33123456789',
      ),
    ).toEqual([]);
    expect(routes).toEqual(copy);
  });

  it('keeps input order for equal prefix length and priority (stable)', () => {
    const tied = [r('b', '+33', 5), r('a', '+33', 5), r('c', '+3', 1)];
    expect(selectRoutes(tied, '+33123456789').map((x) => x.id)).toEqual(['b', 'a', 'c']);
    expect(selectRoutes([...tied].reverse(), '+33123456789').map((x) => x.id)).toEqual(['a', 'b', 'c']);
  });
});
