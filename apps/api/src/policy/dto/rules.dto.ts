import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsString, IsUUID, MaxLength, ValidateIf } from 'class-validator';
import { Amount, Country, Int, Prefix, Present, PresentNotNull, trim } from './validators';

/** numeric(12, 6) holds values below 10^6. */
const MAX_RATE_AMOUNT = 999_999.999999;

export const DESTINATION_KINDS = ['prefix', 'country'] as const;
export const RULE_ACTIONS = ['allow', 'deny'] as const;
export const SOURCE_KINDS = ['cidr_allow', 'country_allow', 'country_deny'] as const;
export const APPLIES_TO = ['registration', 'call', 'both'] as const;

function Note() {
  return (target: object, key: string) => {
    PresentNotNull()(target, key);
    Transform(trim)(target, key);
    IsString({ message: 'The note field must be a string.' })(target, key);
    MaxLength(500, { message: 'The note field must not be greater than 500 characters.' })(target, key);
  };
}

function DeviceId() {
  return (target: object, key: string) => {
    PresentNotNull()(target, key);
    IsUUID('all', { message: 'The selected device_id is invalid.' })(target, key);
  };
}

const DEVICE_DOC = { type: String, format: 'uuid', nullable: true, description: 'A device of your tenant: the rule overrides the tenant rules for it' };

export class CreateDestinationRuleDto {
  @ApiProperty({ enum: DESTINATION_KINDS })
  @IsIn(DESTINATION_KINDS, { message: 'The kind field must be prefix or country.' })
  kind!: 'prefix' | 'country';

  @ApiPropertyOptional({ example: '+447', description: 'Required for kind prefix: E.164 digits with optional +' })
  @ValidateIf((o: CreateDestinationRuleDto) => o.kind === 'prefix' || o.prefix !== undefined)
  @Prefix()
  prefix?: string;

  @ApiPropertyOptional({ example: 'GB', description: 'Required for kind country: ISO 3166-1 alpha-2' })
  @ValidateIf((o: CreateDestinationRuleDto) => o.kind === 'country' || o.country !== undefined)
  @Country()
  country?: string;

  @ApiProperty({ enum: RULE_ACTIONS })
  @IsIn(RULE_ACTIONS, { message: 'The action field must be allow or deny.' })
  action!: 'allow' | 'deny';

  @ApiPropertyOptional(DEVICE_DOC)
  @DeviceId()
  device_id?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500 })
  @Note()
  note?: string | null;
}

/** PATCH and PUT alike; the kind cannot change (delete and create instead). */
export class UpdateDestinationRuleDto {
  @ApiPropertyOptional({ example: '+447' })
  @Present()
  @Prefix()
  prefix?: string;

  @ApiPropertyOptional({ example: 'GB' })
  @Present()
  @Country()
  country?: string;

  @ApiPropertyOptional({ enum: RULE_ACTIONS })
  @Present()
  @IsIn(RULE_ACTIONS, { message: 'The action field must be allow or deny.' })
  action?: 'allow' | 'deny';

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500 })
  @Note()
  note?: string | null;
}

export class CreateSourceRuleDto {
  @ApiProperty({ enum: SOURCE_KINDS })
  @IsIn(SOURCE_KINDS, { message: 'The kind field must be cidr_allow, country_allow or country_deny.' })
  kind!: (typeof SOURCE_KINDS)[number];

  @ApiProperty({ example: '203.0.113.0/24', description: 'A CIDR or address for cidr_allow, an ISO alpha-2 code otherwise' })
  @Transform(trim)
  @IsString({ message: 'The value field must be a string.' })
  @MaxLength(64, { message: 'The value field must not be greater than 64 characters.' })
  value!: string;

  @ApiPropertyOptional({ enum: APPLIES_TO, default: 'both' })
  @Present()
  @IsIn(APPLIES_TO, { message: 'The applies_to field must be registration, call or both.' })
  applies_to?: (typeof APPLIES_TO)[number];

  @ApiPropertyOptional(DEVICE_DOC)
  @DeviceId()
  device_id?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500 })
  @Note()
  note?: string | null;
}

export class UpdateSourceRuleDto {
  @ApiPropertyOptional({ example: '203.0.113.0/24' })
  @Present()
  @Transform(trim)
  @IsString({ message: 'The value field must be a string.' })
  @MaxLength(64, { message: 'The value field must not be greater than 64 characters.' })
  value?: string;

  @ApiPropertyOptional({ enum: APPLIES_TO })
  @Present()
  @IsIn(APPLIES_TO, { message: 'The applies_to field must be registration, call or both.' })
  applies_to?: (typeof APPLIES_TO)[number];

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500 })
  @Note()
  note?: string | null;
}

export class CreateRateDto {
  @ApiProperty({ example: '+44' })
  @Prefix()
  prefix!: string;

  @ApiProperty({ example: 0.012, minimum: 0, description: 'Per minute, in the currency of the spend caps' })
  @Amount(MAX_RATE_AMOUNT, 6, 'required')
  per_minute!: number;

  @ApiPropertyOptional({ example: 60, minimum: 1, maximum: 3600, default: 60 })
  @Int(1, 3600)
  first_increment_seconds?: number;

  @ApiPropertyOptional({ example: 0, minimum: 0, default: 0 })
  @Amount(MAX_RATE_AMOUNT, 6)
  connection_fee?: number;
}

export class UpdateRateDto {
  @ApiPropertyOptional({ example: 0.012, minimum: 0 })
  @Amount(MAX_RATE_AMOUNT, 6)
  per_minute?: number;

  @ApiPropertyOptional({ example: 60, minimum: 1, maximum: 3600 })
  @Int(1, 3600)
  first_increment_seconds?: number;

  @ApiPropertyOptional({ example: 0, minimum: 0 })
  @Amount(MAX_RATE_AMOUNT, 6)
  connection_fee?: number;
}
