import type { NewRate } from '@pbx/database';
import type { FieldErrors } from '../http/validation';

export const MAX_RATE_LINES = 50_000;
const PREFIX = /^\+?[0-9]{1,15}$/;
/** Fits numeric(12, 6): at most 6 digits before the point and 6 after. */
const AMOUNT = /^\d{1,6}(\.\d{1,6})?$/;
const SECONDS = /^\d{1,4}$/;

export type ParsedRates = { rates: NewRate[] } | { errors: FieldErrors };

/**
 * Parses `prefix,per_minute,first_increment_seconds,connection_fee` lines. The last two columns
 * may be left out (60 s, no fee); a header line, blank lines and `#` comments are skipped. Errors
 * are keyed `line.<n>` (1-based, as an editor shows them), so nothing is written unless every
 * line is valid.
 */
export function parseRatesCsv(text: string): ParsedRates {
  const errors: FieldErrors = {};
  const rates: NewRate[] = [];
  const seen = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines.length > MAX_RATE_LINES + 1) {
    return { errors: { csv: [`The file must not have more than ${MAX_RATE_LINES} lines.`] } };
  }
  lines.forEach((raw, index) => {
    const n = index + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const cells = line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
    if (rates.length === 0 && Object.keys(errors).length === 0 && /^prefix$/i.test(cells[0] ?? '')) return;
    const problems: string[] = [];
    const [prefix = '', perMinute = '', increment = '60', fee = '0'] = cells;
    if (cells.length < 2 || cells.length > 4) problems.push('Expected 2 to 4 columns: prefix,per_minute,first_increment_seconds,connection_fee.');
    if (!PREFIX.test(prefix)) problems.push('The prefix must be 1 to 15 digits, optionally after a +.');
    if (!AMOUNT.test(perMinute)) problems.push('The per_minute must be a non-negative number with at most 6 decimals.');
    if (!SECONDS.test(increment) || Number(increment) < 1 || Number(increment) > 3600) {
      problems.push('The first_increment_seconds must be an integer from 1 to 3600.');
    }
    if (!AMOUNT.test(fee)) problems.push('The connection_fee must be a non-negative number with at most 6 decimals.');
    const canonical = `+${prefix.replace(/^\+/, '')}`;
    const earlier = seen.get(canonical);
    if (PREFIX.test(prefix) && earlier !== undefined) problems.push(`The prefix ${canonical} is already on line ${earlier}.`);
    if (problems.length) {
      errors[`line.${n}`] = problems;
      return;
    }
    seen.set(canonical, n);
    rates.push({
      prefix: canonical,
      perMinute: Number(perMinute),
      firstIncrementSeconds: Number(increment),
      connectionFee: Number(fee),
    });
  });
  if (Object.keys(errors).length) return { errors };
  if (rates.length === 0) return { errors: { csv: ['The file has no rate lines.'] } };
  return { rates };
}
