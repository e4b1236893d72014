import type { ListQuery, Page } from '@pbx/database';

export interface PaginatedEnvelope<T> {
  data: T[];
  links: { first: string; last: string; prev: string | null; next: string | null };
  meta: {
    current_page: number;
    from: number | null;
    last_page: number;
    path: string;
    per_page: number;
    to: number | null;
    total: number;
  };
}

/** Laravel's LengthAwarePaginator JSON, with links that keep the caller's other query parameters. */
export function paginate<E, T>(
  page: Page<E>,
  q: ListQuery,
  baseUrl: string,
  requestUrl: string,
  present: (e: E) => T,
): PaginatedEnvelope<T> {
  const url = new URL(requestUrl, baseUrl);
  const path = `${url.origin}${url.pathname}`;
  const lastPage = Math.max(1, Math.ceil(page.total / q.perPage));
  const link = (n: number) => {
    const u = new URL(url.toString());
    u.searchParams.set('page', String(n));
    return u.toString();
  };
  const from = page.items.length ? (q.page - 1) * q.perPage + 1 : null;
  return {
    data: page.items.map(present),
    links: {
      first: link(1),
      last: link(lastPage),
      prev: q.page > 1 ? link(Math.min(q.page - 1, lastPage)) : null,
      next: q.page < lastPage ? link(q.page + 1) : null,
    },
    meta: {
      current_page: q.page,
      from,
      last_page: lastPage,
      path,
      per_page: q.perPage,
      to: from === null ? null : from + page.items.length - 1,
      total: page.total,
    },
  };
}
