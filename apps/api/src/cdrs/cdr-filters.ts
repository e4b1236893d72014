import { isUuid } from '@pbx/common';
import type { CdrDirection, CdrDisposition, CdrFilters } from '@pbx/database';
import { FieldErrors, unprocessable } from '../http/validation';

export const CDR_FILTERABLE = [
  'device_id',
  'extension_id',
  'direction',
  'destination_country',
  'disposition',
  'from',
  'to',
] as const;

const DIRECTIONS: readonly CdrDirection[] = ['inbound', 'outbound', 'internal'];
const DISPOSITIONS: readonly CdrDisposition[] = [
  'answered',
  'busy',
  'no_answer',
  'failed',
  'cancelled',
  'denied',
];
/** A date, or a date-time with an optional offset (no offset means UTC). */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

export function parseCdrDate(raw: string): Date | null {
  // An unencoded '+01:00' arrives as ' 01:00': form decoding turns '+' into a space.
  const v = raw.replace(/(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$/i, '$1+$2');
  if (!ISO_8601.test(v)) return null;
  const dateOnly = v.length === 10;
  const hasZone = !dateOnly && /(?:Z|[+-]\d{2}:?\d{2})$/i.test(v);
  // Without an offset a date-time is UTC, as a bare date already is for Date.
  const d = new Date(dateOnly || hasZone ? v : `${v}Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

function oneOf<T extends string>(allowed: readonly T[], v: string): v is T {
  return (allowed as readonly string[]).includes(v);
}

/** Turns validated-as-strings list filters into typed ones; bad values are 422s, never a database error. */
export function parseCdrFilters(raw: Record<string, string>): CdrFilters {
  const errors: FieldErrors = {};
  const out: CdrFilters = {};
  const fail = (f: string, msg: string) => (errors[`filter.${f}`] = [msg]);
  for (const [field, key] of [
    ['device_id', 'deviceId'],
    ['extension_id', 'extensionId'],
  ] as const) {
    const v = raw[field];
    if (v === undefined) continue;
    if (isUuid(v)) out[key] = v.toLowerCase();
    else fail(field, `The filter ${field} must be a valid UUID.`);
  }
  if (raw.direction !== undefined) {
    if (oneOf(DIRECTIONS, raw.direction)) out.direction = raw.direction;
    else fail('direction', `The selected filter direction is invalid. Allowed: ${DIRECTIONS.join(', ')}.`);
  }
  if (raw.disposition !== undefined) {
    if (oneOf(DISPOSITIONS, raw.disposition)) out.disposition = raw.disposition;
    else
      fail('disposition', `The selected filter disposition is invalid. Allowed: ${DISPOSITIONS.join(', ')}.`);
  }
  if (raw.destination_country !== undefined) {
    if (/^[a-z]{2}$/i.test(raw.destination_country))
      out.destinationCountry = raw.destination_country.toUpperCase();
    else fail('destination_country', 'The filter destination_country must be an ISO 3166-1 alpha-2 code.');
  }
  for (const field of ['from', 'to'] as const) {
    const v = raw[field];
    if (v === undefined) continue;
    const d = parseCdrDate(v);
    if (d) out[field] = d;
    else fail(field, `The filter ${field} must be an ISO 8601 date or date-time.`);
  }
  if (out.from && out.to && out.from.getTime() >= out.to.getTime())
    fail('to', 'The filter to must be a date after filter from.');
  if (Object.keys(errors).length) throw unprocessable(errors);
  return out;
}
