import { isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js';
import { emergencyNumbersFor } from './data';

export type NormalizedDestination =
  | { kind: 'e164'; e164: string; country?: string }
  | { kind: 'emergency'; number: string }
  | { kind: 'internal'; extension: string }
  | { kind: 'invalid'; reason: string };

export interface NormalizeOptions {
  /** Defaults to the numbers of `defaultCountry` plus 112 and 911; pass the tenant's list. */
  emergencyNumbers?: Iterable<string>;
  /** Dialed strings treated as extensions or feature codes; default 2–6 digits or *xx / #xx. */
  internalPattern?: RegExp;
}

const DEFAULT_INTERNAL = /^(?:\d{2,6}|[*#][\d*#]{1,9})$/;
const VISUAL_SEPARATORS = /[\s\-.()/]/g;
const DIALABLE = /^\+?\d+$/;

/**
 * Classifies what a device dialed: emergency short code, internal extension, E.164 number or
 * invalid. Handles national formats and international dialling prefixes ("00", "011") of
 * `defaultCountry`. Not for the hot path: libphonenumber parsing costs tens of microseconds.
 */
export function normalizeDestination(
  raw: string,
  defaultCountry: string,
  options: NormalizeOptions = {},
): NormalizedDestination {
  const dialed = raw.trim().replace(/^tel:/i, '').replace(VISUAL_SEPARATORS, '');
  if (dialed.length === 0) return { kind: 'invalid', reason: 'nothing was dialed' };
  const emergency = new Set(options.emergencyNumbers ?? emergencyNumbersFor(defaultCountry));
  if (emergency.has(dialed)) return { kind: 'emergency', number: dialed };
  if ((options.internalPattern ?? DEFAULT_INTERNAL).test(dialed))
    return { kind: 'internal', extension: dialed };
  if (!DIALABLE.test(dialed))
    return { kind: 'invalid', reason: `"${raw}" contains characters that cannot be dialed` };

  const country = defaultCountry.toUpperCase();
  const phone = isSupportedCountry(country)
    ? parsePhoneNumberFromString(dialed, country)
    : parsePhoneNumberFromString(dialed);
  if (!phone || !phone.isPossible()) {
    return { kind: 'invalid', reason: `"${raw}" is not a possible phone number from ${country}` };
  }
  return phone.country
    ? { kind: 'e164', e164: phone.number, country: phone.country }
    : { kind: 'e164', e164: phone.number };
}
