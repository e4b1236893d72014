import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';

/** Ten years: long enough for "forever, but reviewable". Omit both expiry fields for a ban without end. */
export const MAX_BAN_SECONDS = 10 * 365 * 24 * 3600;

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
/** Skips validation only when the field is absent: an explicit null is an error. */
const Present = () => ValidateIf((_: object, v: unknown) => v !== undefined);

export class CreateBanDto {
  @ApiProperty({
    example: '198.51.100.7',
    description: 'One IPv4 or IPv6 address (no ranges). Loopback and unspecified addresses are refused.',
  })
  @IsString({ message: 'The ip field must be a string.' })
  @IsNotEmpty({ message: 'The ip field is required.' })
  @MaxLength(64, { message: 'The ip field must be a valid IP address.' })
  ip!: string;

  @ApiProperty({ example: 'SIP scanner: 2,000 REGISTERs in a minute', maxLength: 500 })
  @Transform(trim)
  @IsString({ message: 'The reason field must be a string.' })
  @IsNotEmpty({ message: 'The reason field is required.' })
  @MaxLength(500, { message: 'The reason field must not be greater than 500 characters.' })
  reason!: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_BAN_SECONDS, description: 'Not with expires_at' })
  @Present()
  @IsInt({ message: 'The expires_in_seconds field must be an integer.' })
  @Min(1, { message: 'The expires_in_seconds field must be at least 1.' })
  @Max(MAX_BAN_SECONDS, {
    message: `The expires_in_seconds field must not be greater than ${MAX_BAN_SECONDS}.`,
  })
  expires_in_seconds?: number;

  @ApiPropertyOptional({ format: 'date-time', description: 'In the future; not with expires_in_seconds' })
  @Present()
  @IsISO8601({ strict: true }, { message: 'The expires_at field must be a valid ISO 8601 date.' })
  expires_at?: string;

  @ApiPropertyOptional({
    enum: ['tenant', 'platform'],
    default: 'tenant',
    description:
      'tenant: enforced by the SIP app for your tenant only. platform (platform admins only): dropped at ' +
      'the SIP edge for every tenant.',
  })
  @Present()
  @IsIn(['tenant', 'platform'], { message: 'The selected scope is invalid. Allowed: tenant, platform.' })
  scope?: 'tenant' | 'platform';
}
