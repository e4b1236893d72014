import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { Amount, Int, Present, PresentNotNull, trim } from './validators';

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;
const HH_MM_END = /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/;
const DAY = 86_400;
const BIG = 1_000_000;
const MONEY = 1e9;

export class BusinessHoursDto {
  @ApiProperty({ type: Number, isArray: true, example: [1, 2, 3, 4, 5], description: '0 = Sunday … 6 = Saturday, tenant timezone' })
  @IsArray({ message: 'The days field must be an array.' })
  @ArrayMinSize(1, { message: 'The days field must have at least 1 item.' })
  @ArrayMaxSize(7, { message: 'The days field must not have more than 7 items.' })
  @ArrayUnique({ message: 'The days field has a duplicate value.' })
  @IsInt({ each: true, message: 'Each day must be an integer from 0 (Sunday) to 6.' })
  @IsIn([0, 1, 2, 3, 4, 5, 6], { each: true, message: 'Each day must be an integer from 0 (Sunday) to 6.' })
  days!: number[];

  @ApiProperty({ example: '08:00', description: 'HH:MM, tenant local time' })
  @IsString({ message: 'The start field must be a string.' })
  @Matches(HH_MM, { message: 'The start field must be a time in HH:MM format.' })
  start!: string;

  @ApiProperty({ example: '18:00', description: 'HH:MM (24:00 allowed); before start means the window runs past midnight; equal to start means all day' })
  @IsString({ message: 'The end field must be a string.' })
  @Matches(HH_MM_END, { message: 'The end field must be a time in HH:MM format.' })
  end!: string;
}

const limitDoc = (description: string) => ({ type: Number, nullable: true, minimum: 0, description: `${description}; null for no limit` });

/** PUT and PATCH alike: absent fields are left unchanged; null turns a limit or feature off. */
export class UpdatePolicyDto {
  @ApiPropertyOptional({ description: 'Allow every high-risk country (their tier default becomes allow)' })
  @Present()
  @IsBoolean({ message: 'The allow_high_risk field must be true or false.' })
  allow_high_risk?: boolean;

  @ApiPropertyOptional({ description: 'Allow known toll-fraud ranges and countries' })
  @Present()
  @IsBoolean({ message: 'The allow_fraud field must be true or false.' })
  allow_fraud?: boolean;

  @ApiPropertyOptional(limitDoc('Per-call maximum duration in seconds, per device'))
  @Int(1, DAY, 'nullable')
  max_duration_seconds?: number | null;

  @ApiPropertyOptional(limitDoc('Concurrent calls per device'))
  @Int(0, BIG, 'nullable')
  max_concurrent?: number | null;

  @ApiPropertyOptional(limitDoc('Calls per minute per device'))
  @Int(0, BIG, 'nullable')
  max_calls_per_minute?: number | null;

  @ApiPropertyOptional(limitDoc('Calls per hour per device'))
  @Int(0, BIG, 'nullable')
  max_calls_per_hour?: number | null;

  @ApiPropertyOptional(limitDoc('Concurrent calls for the whole tenant'))
  @Int(0, BIG, 'nullable')
  tenant_max_concurrent?: number | null;

  @ApiPropertyOptional(limitDoc('Calls per minute for the whole tenant'))
  @Int(0, BIG, 'nullable')
  tenant_max_calls_per_minute?: number | null;

  @ApiPropertyOptional(limitDoc('Calls per hour for the whole tenant'))
  @Int(0, BIG, 'nullable')
  tenant_max_calls_per_hour?: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 0, description: 'Daily spend cap (tenant-local day); null for none' })
  @Amount(MONEY, 4, 'nullable')
  daily_cap?: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 0, description: 'Monthly spend cap; null for none' })
  @Amount(MONEY, 4, 'nullable')
  monthly_cap?: number | null;

  @ApiPropertyOptional({ minimum: 0, maximum: 3, description: 'Lock level the tenant is raised to when the daily cap is crossed' })
  @Int(0, 3)
  daily_escalation?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 3, description: 'Lock level the tenant is raised to when the monthly cap is crossed' })
  @Int(0, 3)
  monthly_escalation?: number;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 0, description: 'First N calls per device to a new country are stepped up; null or 0 turns step-up off' })
  @Int(0, BIG, 'nullable')
  step_up_first_calls?: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 1, description: 'Duration limit of a stepped-up call' })
  @Int(1, DAY, 'nullable')
  step_up_max_duration_seconds?: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 0, description: 'Callbacks to a short inbound caller are refused within this window; null turns it off' })
  @Int(0, 30 * DAY, 'nullable')
  wangiri_window_seconds?: number | null;

  @ApiPropertyOptional({ type: BusinessHoursDto, nullable: true, description: 'International calls only in this window; null for any time' })
  @PresentNotNull()
  @ValidateNested()
  @Type(() => BusinessHoursDto)
  international_hours?: BusinessHoursDto | null;

  @ApiPropertyOptional({ type: String, isArray: true, nullable: true, example: ['999', '112'], description: 'Replaces the country defaults; null restores them' })
  @PresentNotNull()
  @IsArray({ message: 'The emergency_numbers field must be an array.' })
  @ArrayMaxSize(20, { message: 'The emergency_numbers field must not have more than 20 items.' })
  @ArrayUnique({ message: 'The emergency_numbers field has a duplicate value.' })
  @Matches(/^\d{2,6}$/, { each: true, message: 'Each emergency number must be 2 to 6 digits.' })
  emergency_numbers?: string[] | null;
}

export class LockLevelDto {
  @ApiProperty({ minimum: 0, maximum: 3, description: '0 none, 1 no international, 2 internal and emergency only, 3 emergency only' })
  @IsInt({ message: 'The level field must be an integer.' })
  @IsIn([0, 1, 2, 3], { message: 'The level field must be between 0 and 3.' })
  level!: number;

  @ApiPropertyOptional({ maxLength: 500, example: 'Suspicious traffic to +882' })
  @Present()
  @Transform(trim)
  @IsString({ message: 'The reason field must be a string.' })
  @MaxLength(500, { message: 'The reason field must not be greater than 500 characters.' })
  reason?: string;
}

/** PUT: the whole override; absent or null fields inherit the tenant policy. */
export class DeviceOverrideDto {
  @ApiPropertyOptional(limitDoc('Per-call maximum duration in seconds'))
  @Int(1, DAY, 'nullable')
  max_duration_seconds?: number | null;

  @ApiPropertyOptional(limitDoc('Concurrent calls'))
  @Int(0, BIG, 'nullable')
  max_concurrent?: number | null;

  @ApiPropertyOptional(limitDoc('Calls per minute'))
  @Int(0, BIG, 'nullable')
  max_calls_per_minute?: number | null;

  @ApiPropertyOptional(limitDoc('Calls per hour'))
  @Int(0, BIG, 'nullable')
  max_calls_per_hour?: number | null;

  @ApiPropertyOptional({ type: Boolean, nullable: true, description: 'false turns step-up off for the device, true on; null inherits' })
  @PresentNotNull()
  @IsBoolean({ message: 'The step_up_enabled field must be true, false or null.' })
  step_up_enabled?: boolean | null;
}
