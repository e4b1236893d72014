import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIP,
  IsISO8601,
  IsObject,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { Amount, Int, Present } from './validators';

const BIG = 1_000_000;

export class ShortInboundDto {
  @ApiProperty({ example: '+22501020304' })
  @IsString({ message: 'The number field must be a string.' })
  @Matches(/^\+[1-9]\d{1,14}$/, { message: 'The number field must be an E.164 number.' })
  number!: string;

  @ApiProperty({ format: 'date-time', description: 'When the short inbound call came in' })
  @IsISO8601({ strict: true }, { message: 'The at field must be an ISO 8601 date-time.' })
  at!: string;
}

/** What-if values; each replaces the live Redis counter of the same name. */
export class CounterOverridesDto {
  @ApiPropertyOptional() @Int(0, BIG) device_active_calls?: number;
  @ApiPropertyOptional() @Int(0, BIG) tenant_active_calls?: number;
  @ApiPropertyOptional() @Int(0, BIG) device_calls_last_minute?: number;
  @ApiPropertyOptional() @Int(0, BIG) device_calls_last_hour?: number;
  @ApiPropertyOptional() @Int(0, BIG) tenant_calls_last_minute?: number;
  @ApiPropertyOptional() @Int(0, BIG) tenant_calls_last_hour?: number;
  @ApiPropertyOptional() @Amount(1e12, 6) spend_today?: number;
  @ApiPropertyOptional() @Amount(1e12, 6) spend_this_month?: number;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { FR: 4 },
    description: 'Past calls from the device per destination country',
  })
  @Present()
  @IsObject({ message: 'The device_country_calls field must be an object of country → count.' })
  device_country_calls?: Record<string, number>;

  @ApiPropertyOptional({ type: ShortInboundDto, isArray: true })
  @Present()
  @IsArray({ message: 'The recent_short_inbound field must be an array.' })
  @ArrayMaxSize(100, { message: 'The recent_short_inbound field must not have more than 100 items.' })
  @ValidateNested({ each: true })
  @Type(() => ShortInboundDto)
  recent_short_inbound?: ShortInboundDto[];
}

export class SimulateDto {
  @ApiProperty({ format: 'uuid', description: 'The calling device, in your tenant' })
  @IsUUID('all', { message: 'The selected device_id is invalid.' })
  device_id!: string;

  @ApiProperty({ example: '00 44 20 7946 0018', description: 'As dialed: national or international format, extension, emergency number' })
  @IsString({ message: 'The destination field must be a string.' })
  @MinLength(1, { message: 'The destination field is required.' })
  @MaxLength(64, { message: 'The destination field must not be greater than 64 characters.' })
  destination!: string;

  @ApiProperty({ example: '81.2.69.160', description: 'Source IP of the INVITE; geolocated to its country' })
  @IsIP(undefined, { message: 'The source_ip field must be a valid IP address.' })
  source_ip!: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'When the call happens; default now' })
  @Present()
  @IsISO8601({ strict: true }, { message: 'The time field must be an ISO 8601 date-time.' })
  time?: string;

  @ApiPropertyOptional({ type: CounterOverridesDto })
  @Present()
  @ValidateNested()
  @Type(() => CounterOverridesDto)
  counters?: CounterOverridesDto;
}
