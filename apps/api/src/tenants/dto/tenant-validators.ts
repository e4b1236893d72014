import { registerDecorator, ValidationOptions } from 'class-validator';
import { isSupportedCountry } from 'libphonenumber-js';

let knownZones: Map<string, string> | undefined;

/**
 * The zone as the caller wrote it, with the usual capitalisation restored ('europe/paris' →
 * 'Europe/Paris'), or null when Intl does not know it. Intl's own resolvedOptions() is not used
 * for the spelling: ICU answers the legacy names ('Asia/Kolkata' → 'Asia/Calcutta'). Offsets such
 * as '+01:00' are refused: they have no daylight-saving rules.
 */
export function canonicalTimeZone(value: string): string | null {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/.test(value)) return null;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
  knownZones ??= new Map(['UTC', ...Intl.supportedValuesOf('timeZone')].map((z) => [z.toLowerCase(), z]));
  const lower = value.toLowerCase();
  return knownZones.get(lower) ?? (resolved.toLowerCase() === lower ? resolved : value);
}

export function IsTimeZone(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isTimeZone',
      target: object.constructor,
      propertyName,
      options: { message: `The ${propertyName} field must be a valid IANA time zone.`, ...options },
      validator: {
        validate: (value: unknown) => typeof value === 'string' && canonicalTimeZone(value) !== null,
      },
    });
}

/**
 * ISO 3166-1 alpha-2, as far as libphonenumber knows it: the same table the policy engine
 * normalises dialled numbers with, so a tenant's default country always has a dialling plan.
 */
export function IsCountryCode(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isCountryCode',
      target: object.constructor,
      propertyName,
      options: {
        message: `The ${propertyName} field must be an ISO 3166-1 alpha-2 country code.`,
        ...options,
      },
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && /^[A-Z]{2}$/.test(value) && isSupportedCountry(value),
      },
    });
}
