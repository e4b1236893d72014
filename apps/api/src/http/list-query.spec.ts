import { UnprocessableEntityException } from '@nestjs/common';
import { parseListQuery } from './list-query';
import { paginate } from './pagination';

const rules = { sortable: ['name', 'created_at'], filterable: ['status'] };

describe('list query', () => {
  it('parses page, per_page, multi-field sort and bracket filters', () => {
    const q = parseListQuery({ page: '2', per_page: '5', sort: '-created_at,name', 'filter[status]': 'active' }, rules);
    expect(q).toEqual({
      page: 2,
      perPage: 5,
      sort: [
        { field: 'created_at', direction: 'DESC' },
        { field: 'name', direction: 'ASC' },
      ],
      filters: { status: 'active' },
    });
  });

  it('rejects unknown sort fields, unknown filters and bad numbers with field errors', () => {
    let err: unknown;
    try {
      parseListQuery({ page: '0', per_page: '1000', sort: 'password_hash', 'filter[email]': 'x' }, rules);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnprocessableEntityException);
    const body = (err as UnprocessableEntityException).getResponse() as { errors: Record<string, string[]> };
    expect(Object.keys(body.errors).sort()).toEqual(['filter.email', 'page', 'per_page', 'sort']);
  });

  it('builds Laravel links and meta that keep other parameters', () => {
    const q = parseListQuery({ page: '2', per_page: '2', 'filter[status]': 'active' }, rules);
    const env = paginate({ items: [3, 4], total: 5 }, q, 'http://h', '/api/v1/users?page=2&per_page=2&filter%5Bstatus%5D=active', (n) => n);
    expect(env.meta).toEqual({ current_page: 2, from: 3, last_page: 3, path: 'http://h/api/v1/users', per_page: 2, to: 4, total: 5 });
    expect(env.links.next).toBe('http://h/api/v1/users?page=3&per_page=2&filter%5Bstatus%5D=active');
    expect(env.links.prev).toContain('page=1');
    expect(env.links.first).toContain('page=1');
    expect(env.links.last).toContain('page=3');
  });
});
