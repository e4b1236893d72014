import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsNotEmpty,
  IsObject,
  IsString,
  Matches,
  MaxLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { canonicalCodec, KNOWN_CODECS } from '@pbx/common';
import { Email, Name as UserName } from '../../users/dto/user.dto';
import { canonicalTimeZone, IsCountryCode, IsTimeZone } from './tenant-validators';

export const TENANT_STATUSES = ['active', 'suspended'] as const;

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const upper = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim().toUpperCase() : value;
const zone = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? (canonicalTimeZone(value.trim()) ?? value) : value;

/** Skips validation only when the field is absent: an explicit null is an error, not "leave unchanged". */
const Present = () => ValidateIf((_: object, v: unknown) => v !== undefined);

function Name() {
  return (target: object, key: string) => {
    Transform(trim)(target, key);
    IsString({ message: 'The name field must be a string.' })(target, key);
    IsNotEmpty({ message: 'The name field is required.' })(target, key);
    MaxLength(255, { message: 'The name field must not be greater than 255 characters.' })(target, key);
  };
}

function Status() {
  return (target: object, key: string) => {
    Present()(target, key);
    IsIn(TENANT_STATUSES, { message: 'The selected status is invalid. Allowed: active, suspended.' })(
      target,
      key,
    );
  };
}

function Country() {
  return (target: object, key: string) => {
    Present()(target, key);
    Transform(upper)(target, key);
    IsCountryCode()(target, key);
  };
}

function TimeZone() {
  return (target: object, key: string) => {
    Present()(target, key);
    Transform(zone)(target, key);
    IsTimeZone()(target, key);
  };
}

function SrtpRequired() {
  return (target: object, key: string) => {
    Present()(target, key);
    IsBoolean({ message: 'The srtp_required field must be true or false.' })(target, key);
  };
}

const codecs = ({ value }: { value: unknown }) =>
  Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? (canonicalCodec(v) ?? v) : v)) : value;

function CodecAllowList() {
  return (target: object, key: string) => {
    Present()(target, key);
    Transform(codecs)(target, key);
    IsArray({ message: 'The codec_allow_list field must be an array.' })(target, key);
    ArrayMaxSize(16, { message: 'The codec_allow_list field must not have more than 16 items.' })(target, key);
    IsIn(KNOWN_CODECS, {
      each: true,
      message: `Each codec_allow_list item must be one of: ${KNOWN_CODECS.join(', ')}.`,
    })(target, key);
  };
}

const MEDIA_DOCS = {
  srtp_required: {
    type: Boolean,
    default: true,
    description: "Device offers without SRTP (SDES a=crypto or a DTLS fingerprint) get 488 Not Acceptable Here",
  },
  codec_allow_list: {
    type: String,
    isArray: true,
    enum: KNOWN_CODECS,
    default: [],
    description: 'Codecs device offers are reduced to (488 when none is left); empty allows every codec',
  },
};

/** The tenant's first admin; the password is generated and shown once, in the creation response. */
export class TenantAdminDto {
  @ApiProperty({ example: 'admin@acme.example', maxLength: 254 })
  @Email()
  email!: string;

  @ApiProperty({ example: 'Ada Admin', maxLength: 255 })
  @UserName()
  name!: string;
}

export class CreateTenantDto {
  @ApiProperty({ example: 'Acme Telecom', maxLength: 255 })
  @Name()
  name!: string;

  @ApiProperty({
    example: 'acme',
    pattern: '^[a-z0-9]+(-[a-z0-9]+)*$',
    maxLength: 63,
    description: 'Unique and permanent: it names the SIP realm',
  })
  @Transform(trim)
  @IsString({ message: 'The slug field must be a string.' })
  @IsNotEmpty({ message: 'The slug field is required.' })
  @MaxLength(63, { message: 'The slug field must not be greater than 63 characters.' })
  @Matches(/^[a-z0-9]+(-[a-z0-9]+)*$/, {
    message: 'The slug field must only contain lowercase letters, numbers and single dashes between them.',
  })
  slug!: string;

  @ApiPropertyOptional({ enum: TENANT_STATUSES, default: 'active' })
  @Status()
  status?: (typeof TENANT_STATUSES)[number];

  @ApiPropertyOptional({
    example: 'GB',
    default: 'US',
    description: 'ISO 3166-1 alpha-2; the country dialled numbers are read in',
  })
  @Country()
  default_country?: string;

  @ApiPropertyOptional({ example: 'Europe/London', default: 'UTC', description: 'IANA time zone' })
  @TimeZone()
  timezone?: string;

  @ApiPropertyOptional(MEDIA_DOCS.srtp_required)
  @SrtpRequired()
  srtp_required?: boolean;

  @ApiPropertyOptional(MEDIA_DOCS.codec_allow_list)
  @CodecAllowList()
  codec_allow_list?: string[];

  @ApiPropertyOptional({
    type: TenantAdminDto,
    description: "Creates the tenant's first tenant_admin with it; the response's meta.admin_password shows the password once",
  })
  @Present()
  @IsObject({ message: 'The admin field must be an object.' })
  @ValidateNested()
  @Type(() => TenantAdminDto)
  admin?: TenantAdminDto;
}

/** PATCH and PUT alike. The slug is permanent, so it is not accepted here. */
export class UpdateTenantDto {
  @ApiPropertyOptional({ example: 'Acme Telecom', maxLength: 255 })
  @Present()
  @Name()
  name?: string;

  @ApiPropertyOptional({
    enum: TENANT_STATUSES,
    description: "Suspending ends every session of the tenant's users and stops their logins",
  })
  @Status()
  status?: (typeof TENANT_STATUSES)[number];

  @ApiPropertyOptional({ example: 'GB' })
  @Country()
  default_country?: string;

  @ApiPropertyOptional({ example: 'Europe/London' })
  @TimeZone()
  timezone?: string;

  @ApiPropertyOptional(MEDIA_DOCS.srtp_required)
  @SrtpRequired()
  srtp_required?: boolean;

  @ApiPropertyOptional(MEDIA_DOCS.codec_allow_list)
  @CodecAllowList()
  codec_allow_list?: string[];
}
