import { normalizeDestination } from '@pbx/policy';
import { isSupportedCountry, validatePhoneNumberLength } from 'libphonenumber-js';

/** What a dialed string is, for routing and for the fraud gate. */
export type DialedDestination =
  | { kind: 'extension'; number: string }
  | { kind: 'external'; e164: string; country: string | null }
  | { kind: 'emergency'; number: string }
  | { kind: 'invalid'; status: 404 | 484; reason: string; why: string };

export interface ClassifyOptions {
  /** ISO 3166 alpha-2 whose national format and international prefix apply (the tenant's). */
  defaultCountry: string;
  /** Whether the tenant has an extension numbered exactly like the dialed string (it wins over a short number). */
  extensionExists: boolean;
  /** The tenant's emergency numbers (its policy's list); the country's when absent. */
  emergencyNumbers?: Iterable<string>;
}

/** Extension numbers as the API stores them. */
export const EXTENSION_NUMBER = /^[0-9]{2,10}$/;

/**
 * The user part of a Request-URI as something dialable: URI parameters (";phone-context=…",
 * ";user=phone"), escapes and visual separators dropped.
 */
export function dialedDigits(user: string): string {
  let s = user.split(';')[0];
  try {
    s = decodeURIComponent(s);
  } catch {
    // A malformed escape stays as written; classification refuses it below.
  }
  return s.trim().replace(/[\s\-.()/]/g, '');
}

/**
 * Classifies what a caller dialed (RFC 3261 §21.4.5: 484 when more digits could make it a number):
 * the tenant's own extension first, then emergency short codes, then an external number
 * normalised to E.164 with the tenant's national and international prefixes; anything else is
 * refused with a status and a reason meant for the Warning header.
 */
export function classifyDialed(raw: string, opts: ClassifyOptions): DialedDestination {
  const dialed = dialedDigits(raw);
  if (opts.extensionExists && EXTENSION_NUMBER.test(dialed)) return { kind: 'extension', number: dialed };
  const country = opts.defaultCountry.toUpperCase();
  const n = normalizeDestination(dialed, country, { emergencyNumbers: opts.emergencyNumbers });
  const shown = dialed.slice(0, 32);
  switch (n.kind) {
    case 'emergency':
      return { kind: 'emergency', number: n.number };
    case 'e164':
      return { kind: 'external', e164: n.e164, country: n.country ?? null };
    case 'internal':
      // A leading 0 or + is the start of a national or international number, not an extension.
      if (/^[0+]/.test(dialed))
        return {
          kind: 'invalid',
          status: 484,
          reason: `"${shown}" is incomplete`,
          why: `incomplete number ${shown}`,
        };
      return {
        kind: 'invalid',
        status: 404,
        reason: `no extension ${shown} in this tenant`,
        why: `no extension ${shown} in the tenant`,
      };
    case 'invalid': {
      if (!/^\+?\d*$/.test(dialed))
        return {
          kind: 'invalid',
          status: 404,
          reason: `"${shown}" cannot be dialed`,
          why: n.reason.slice(0, 80),
        };
      const length = isSupportedCountry(country)
        ? validatePhoneNumberLength(dialed, country)
        : validatePhoneNumberLength(dialed);
      if (length === 'TOO_SHORT' || dialed === '' || dialed === '+')
        return {
          kind: 'invalid',
          status: 484,
          reason: `"${shown}" is incomplete`,
          why: `incomplete number ${shown}`,
        };
      return {
        kind: 'invalid',
        status: 404,
        reason: `"${shown}" is not a number reachable from ${country}`,
        why: `not a possible number: ${shown}`,
      };
    }
  }
}

/** The SIP Warning header value for a refusal (RFC 3261 §20.43, code 399), quoted-string safe. */
export function warningOf(text: string, agent = 'pbx'): string {
  return `399 ${agent} "${text.replace(/[\r\n]+/g, ' ').replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
