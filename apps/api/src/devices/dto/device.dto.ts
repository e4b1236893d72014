import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DIGEST_ALGORITHMS } from '@pbx/common';
import type { DigestAlgorithm, SipTransport } from '@pbx/database';
import { Transform } from 'class-transformer';
import {
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsString,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { CidrList, Name, Present, Reference } from '../../extensions/telephony-validation';

export const SIP_TRANSPORTS: readonly SipTransport[] = ['udp', 'tcp', 'tls', 'ws', 'wss'];
/** What an admin may set; 'locked' belongs to the lock (policy) endpoints. */
export const SETTABLE_DEVICE_STATUSES = ['active', 'suspended'] as const;
export const SIP_USERNAME = /^[a-z0-9_.-]{3,32}$/;

const lower = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;

function SubsetOf(allowed: readonly string[]) {
  return (target: object, key: string) => {
    IsArray({ message: `The ${key} field must be an array.` })(target, key);
    ArrayNotEmpty({ message: `The ${key} field must have at least 1 item.` })(target, key);
    ArrayUnique({ message: `The ${key} field has a duplicate value.` })(target, key);
    IsIn(allowed, {
      each: true,
      message: `The selected ${key} are invalid. Allowed: ${allowed.join(', ')}.`,
    })(target, key);
  };
}

function MaxRegistrations() {
  return (target: object, key: string) => {
    IsInt({ message: 'The max_registrations field must be an integer.' })(target, key);
    Min(1, { message: 'The max_registrations field must be between 1 and 100.' })(target, key);
    Max(100, { message: 'The max_registrations field must be between 1 and 100.' })(target, key);
  };
}

function Status() {
  return IsIn(SETTABLE_DEVICE_STATUSES, {
    message: 'The selected status is invalid. Allowed: active, suspended.',
  });
}

const DOCS = {
  extension_id: { format: 'uuid', description: 'An extension of your tenant' },
  digest_algorithms: {
    enum: DIGEST_ALGORITHMS,
    isArray: true,
    example: ['SHA-256', 'MD5'],
    description: 'Digest algorithms the device may answer a challenge with (RFC 8760). Default both.',
  },
  transports: {
    enum: SIP_TRANSPORTS,
    isArray: true,
    example: ['tls', 'wss'],
    description: 'Default tls and wss',
  },
  allowed_cidrs: {
    type: String,
    isArray: true,
    example: ['203.0.113.0/24', '2001:db8::/32'],
    description:
      'Source networks the device may register from; empty allows any. A bare address means /32 or /128.',
  },
  max_registrations: { minimum: 1, maximum: 100, example: 3, description: 'Default 3' },
  status: { enum: SETTABLE_DEVICE_STATUSES, description: "Default active; 'locked' is set only by a lock" },
};

export class CreateDeviceDto {
  @ApiProperty(DOCS.extension_id)
  @Reference()
  extension_id!: string;

  @ApiProperty({ example: 'Desk phone', maxLength: 255 })
  @Name()
  name!: string;

  @ApiPropertyOptional({
    pattern: SIP_USERNAME.source,
    example: 'reception-1',
    description:
      'Unique in your tenant; generated (d + 10 base32 characters) when omitted. Cannot be changed later.',
  })
  @Present()
  @Transform(lower)
  @IsString({ message: 'The sip_username field must be a string.' })
  @Matches(SIP_USERNAME, { message: 'The sip_username field must be 3 to 32 of a-z, 0-9, _ . -' })
  sip_username?: string;

  @ApiPropertyOptional(DOCS.digest_algorithms)
  @Present()
  @SubsetOf(DIGEST_ALGORITHMS)
  digest_algorithms?: DigestAlgorithm[];

  @ApiPropertyOptional(DOCS.transports)
  @Present()
  @SubsetOf(SIP_TRANSPORTS)
  transports?: SipTransport[];

  @ApiPropertyOptional(DOCS.allowed_cidrs)
  @Present()
  @CidrList()
  allowed_cidrs?: string[];

  @ApiPropertyOptional(DOCS.max_registrations)
  @Present()
  @MaxRegistrations()
  max_registrations?: number;

  @ApiPropertyOptional(DOCS.status)
  @Present()
  @Status()
  status?: 'active' | 'suspended';
}

/** PATCH and PUT alike: every field optional, absent fields unchanged. The SIP username and realm are fixed. */
export class UpdateDeviceDto {
  @ApiPropertyOptional(DOCS.extension_id)
  @Present()
  @Reference()
  extension_id?: string;

  @ApiPropertyOptional({ example: 'Desk phone', maxLength: 255 })
  @Present()
  @Name()
  name?: string;

  @ApiPropertyOptional(DOCS.digest_algorithms)
  @Present()
  @SubsetOf(DIGEST_ALGORITHMS)
  digest_algorithms?: DigestAlgorithm[];

  @ApiPropertyOptional(DOCS.transports)
  @Present()
  @SubsetOf(SIP_TRANSPORTS)
  transports?: SipTransport[];

  @ApiPropertyOptional(DOCS.allowed_cidrs)
  @Present()
  @CidrList()
  allowed_cidrs?: string[];

  @ApiPropertyOptional(DOCS.max_registrations)
  @Present()
  @MaxRegistrations()
  max_registrations?: number;

  @ApiPropertyOptional(DOCS.status)
  @Present()
  @Status()
  status?: 'active' | 'suspended';
}

export class DeviceCredentialsMeta {
  @ApiProperty({
    description: 'The SIP password, shown this once and never again; only its digests are stored',
  })
  sip_password!: string;

  @ApiProperty({ example: 'acme.pbx.local', description: 'Digest realm the device authenticates in' })
  realm!: string;

  @ApiProperty({ example: 'shown once' })
  warning!: string;
}
