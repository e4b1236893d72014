import { Transform } from 'class-transformer';
import { IsDefined, IsInt, IsNumber, Matches, Max, Min, ValidateIf } from 'class-validator';

/** Skips validation only when the field is absent: an explicit null is an error, not "leave unchanged". */
export const Present = () => ValidateIf((_: object, v: unknown) => v !== undefined);

/** Validates unless absent or null; null means "no limit" / "off". */
export const PresentNotNull = () => ValidateIf((_: object, v: unknown) => v !== undefined && v !== null);

export const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
export const upper = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toUpperCase() : value);

export const DIGITS_PREFIX = /^\+?[0-9]{1,15}$/;
export const ISO2 = /^[A-Z]{2}$/;

/** "0044…" style or bare digits become "+digits", so "44" and "+44" are one rule, not two. */
export function toPlusPrefix(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const v = value.trim();
  return DIGITS_PREFIX.test(v) ? `+${v.replace(/^\+/, '')}` : v;
}

export type Presence = 'optional' | 'nullable' | 'required';

function presence(mode: Presence, target: object, key: string): void {
  if (mode === 'nullable') PresentNotNull()(target, key);
  else if (mode === 'optional') Present()(target, key);
  else IsDefined({ message: `The ${key} field is required.` })(target, key);
}

/** An integer between min and max; 'nullable' lets null through (meaning no limit). */
export function Int(min: number, max: number, mode: Presence = 'optional') {
  return (target: object, key: string) => {
    presence(mode, target, key);
    IsInt({ message: `The ${key} field must be an integer.` })(target, key);
    Min(min, { message: `The ${key} field must be at least ${min}.` })(target, key);
    Max(max, { message: `The ${key} field must not be greater than ${max}.` })(target, key);
  };
}

/** A non-negative amount with at most `decimals` decimals. */
export function Amount(max: number, decimals: number, mode: Presence = 'optional') {
  return (target: object, key: string) => {
    presence(mode, target, key);
    IsNumber(
      { maxDecimalPlaces: decimals, allowNaN: false, allowInfinity: false },
      { message: `The ${key} field must be a number with at most ${decimals} decimals.` },
    )(target, key);
    Min(0, { message: `The ${key} field must be at least 0.` })(target, key);
    Max(max, { message: `The ${key} field must not be greater than ${max}.` })(target, key);
  };
}

export function Prefix() {
  return (target: object, key: string) => {
    Transform(({ value }) => toPlusPrefix(value))(target, key);
    IsDefined({ message: `The ${key} field is required.` })(target, key);
    Matches(DIGITS_PREFIX, { message: `The ${key} field must be 1 to 15 digits, optionally after a +.` })(target, key);
  };
}

export function Country() {
  return (target: object, key: string) => {
    Transform(upper)(target, key);
    IsDefined({ message: `The ${key} field is required.` })(target, key);
    Matches(ISO2, { message: `The ${key} field must be an ISO 3166-1 alpha-2 country code.` })(target, key);
  };
}
