import { parsePhoneNumberFromString } from 'libphonenumber-js';

const HIDDEN = '••••';

/**
 * Masks a phone number for callers without cdrs.view_numbers: `+442079460000` → `+44 •••• 0000`.
 * Only the country calling code and the last digits survive, and the hidden part has a fixed width so
 * its length leaks nothing. Short numbers (extensions, short codes) keep at most half their digits,
 * so a 4-digit extension is never shown whole. Values without digits (a SIP URI user, `anonymous`) are
 * hidden entirely, since they may name a person.
 */
export function maskPhoneNumber(raw: string): string {
  if (raw === '') return '';
  const digits = raw.replace(/\D/g, '');
  if (digits.length === 0) return HIDDEN;
  const tail = (s: string) => s.slice(s.length - Math.min(4, Math.floor(s.length / 2)));
  const trimmed = raw.trim();
  if (trimmed.startsWith('+')) {
    const parsed = parsePhoneNumberFromString(`+${digits}`);
    if (parsed?.countryCallingCode) {
      const kept = tail(String(parsed.nationalNumber));
      return kept
        ? `+${parsed.countryCallingCode} ${HIDDEN} ${kept}`
        : `+${parsed.countryCallingCode} ${HIDDEN}`;
    }
    const kept = tail(digits);
    return kept ? `+${HIDDEN} ${kept}` : `+${HIDDEN}`;
  }
  const kept = tail(digits);
  return kept ? `${HIDDEN} ${kept}` : HIDDEN;
}
