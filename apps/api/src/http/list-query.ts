import type { ListQuery } from '@pbx/database';
import { unprocessable, FieldErrors } from './validation';

export interface ListQueryRules {
  sortable: readonly string[];
  filterable: readonly string[];
  defaultSort?: string;
  maxPerPage?: number;
}

type RawQuery = Record<string, unknown>;

function single(v: unknown): string | undefined {
  if (Array.isArray(v)) return single(v[v.length - 1]);
  return typeof v === 'string' ? v : undefined;
}

/**
 * Parses Laravel-style list parameters: ?page=2&per_page=25&sort=-created_at,name&filter[status]=active.
 * Unknown sort or filter fields are 422s, not silently ignored, so a client typo is visible.
 */
export function parseListQuery(raw: RawQuery, rules: ListQueryRules): ListQuery {
  const errors: FieldErrors = {};
  const maxPerPage = rules.maxPerPage ?? 100;
  const int = (name: string, def: number, max: number): number => {
    const v = single(raw[name]);
    if (v === undefined || v === '') return def;
    if (!/^\d{1,9}$/.test(v) || Number(v) < 1) {
      errors[name] = [`The ${name} field must be an integer of at least 1.`];
      return def;
    }
    if (Number(v) > max) {
      errors[name] = [`The ${name} field must not be greater than ${max}.`];
      return def;
    }
    return Number(v);
  };
  const page = int('page', 1, 1_000_000);
  const perPage = int('per_page', 15, maxPerPage);

  const sort: ListQuery['sort'] = [];
  const sortRaw = single(raw.sort) ?? rules.defaultSort ?? '';
  for (const part of sortRaw.split(',').filter(Boolean)) {
    const field = part.replace(/^[-+]/, '');
    if (!rules.sortable.includes(field)) {
      (errors.sort ??= []).push(`The sort field ${field} is not sortable. Allowed: ${rules.sortable.join(', ')}.`);
      continue;
    }
    sort.push({ field, direction: part.startsWith('-') ? 'DESC' : 'ASC' });
  }

  const filters: Record<string, string> = {};
  const addFilter = (field: string, value: unknown) => {
    const v = single(value);
    if (!rules.filterable.includes(field)) {
      errors[`filter.${field}`] = [`The filter ${field} is not allowed. Allowed: ${rules.filterable.join(', ')}.`];
    } else if (v === undefined || v.length > 200) {
      errors[`filter.${field}`] = [`The filter ${field} must be a string of at most 200 characters.`];
    } else filters[field] = v;
  };
  for (const [key, value] of Object.entries(raw)) {
    const m = /^filter\[([a-z_]{1,64})\]$/.exec(key);
    if (m) addFilter(m[1], value);
    else if (key === 'filter' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) addFilter(k, v);
    }
  }
  if (Object.keys(errors).length) throw unprocessable(errors);
  return { page, perPage, sort, filters };
}
