import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsNotEmpty, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
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
}
