/** A list request in Laravel terms (?page=&per_page=&sort=-field&filter[field]=), already validated. */
export interface ListQuery {
  page: number;
  perPage: number;
  sort: Array<{ field: string; direction: 'ASC' | 'DESC' }>;
  filters: Record<string, string>;
}

export interface Page<T> {
  items: T[];
  total: number;
}
