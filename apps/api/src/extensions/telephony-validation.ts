import { NotFoundException, ParseUUIDPipe } from '@nestjs/common';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsNotEmpty,
  IsString,
  IsUUID,
  MaxLength,
  registerDecorator,
  ValidateIf,
} from 'class-validator';
import { BlockList, isIP } from 'node:net';

/**
 * Validation shared by the telephony resources (extensions, devices, trunks, DIDs, routes),
 * in Laravel's wording so clients see one style of message across the API.
 */

/** A malformed id names nothing, so it is a 404 like any other unknown id. */
export const ENTITY_ID = new ParseUUIDPipe({ exceptionFactory: () => new NotFoundException() });

export const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** Skips validation only when the field is absent: an explicit null is an error, not "leave unchanged". */
export const Present = () => ValidateIf((_: object, v: unknown) => v !== undefined);

/** Like Present, but null is a value too (it clears a nullable field). */
export const PresentOrNull = () => ValidateIf((_: object, v: unknown) => v !== undefined && v !== null);

export function Name() {
  return (target: object, key: string) => {
    Transform(trim)(target, key);
    IsString({ message: `The ${key} field must be a string.` })(target, key);
    IsNotEmpty({ message: `The ${key} field is required.` })(target, key);
    MaxLength(255, { message: `The ${key} field must not be greater than 255 characters.` })(target, key);
  };
}

/** A reference to another row of the tenant; whether it exists there is checked by the service. */
export function Reference() {
  return (target: object, key: string) =>
    IsUUID('all', { message: `The selected ${key} is invalid.` })(target, key);
}

/** `a.b.c.d/n` or `x::y/n` (a bare address means a single host), normalised to lower case. */
export function normaliseCidr(value: string): string | null {
  const [addr, bits, extra] = value.trim().toLowerCase().split('/');
  if (extra !== undefined) return null;
  // Zone ids (fe80::1%eth0) name an interface of one host, not a network a peer can come from.
  const family = addr.includes('%') ? 0 : isIP(addr);
  if (family === 0) return null;
  const max = family === 4 ? 32 : 128;
  if (bits !== undefined && !/^(0|[1-9][0-9]{0,2})$/.test(bits)) return null;
  const prefix = bits === undefined ? max : Number(bits);
  if (prefix > max) return null;
  try {
    new BlockList().addSubnet(addr, prefix, family === 4 ? 'ipv4' : 'ipv6');
  } catch {
    return null;
  }
  return `${addr}/${prefix}`;
}

const normaliseCidrs = ({ value }: { value: unknown }) =>
  Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? (normaliseCidr(v) ?? v) : v)) : value;

export function CidrList(max = 100) {
  return (target: object, key: string) => {
    Transform(normaliseCidrs)(target, key);
    IsArray({ message: `The ${key} field must be an array.` })(target, key);
    ArrayMaxSize(max, { message: `The ${key} field must not have more than ${max} items.` })(target, key);
    ArrayUnique({ message: `The ${key} field has a duplicate value.` })(target, key);
    registerDecorator({
      name: 'isCidrList',
      target: target.constructor,
      propertyName: key,
      options: {
        message: `Each ${key} item must be an IPv4 or IPv6 CIDR, e.g. 203.0.113.0/24 or 2001:db8::/32.`,
      },
      validator: {
        validate: (value: unknown) =>
          Array.isArray(value) && value.every((v) => typeof v === 'string' && normaliseCidr(v) === v),
      },
    });
  };
}
