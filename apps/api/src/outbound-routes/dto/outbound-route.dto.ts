import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsNotEmpty, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { Name, Present, Reference } from '../../extensions/telephony-validation';

/** Spaces and dashes are for people; the prefix is compared digit by digit. */
const compact = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.replace(/[\s\-.()]/g, '') : value;

function Prefix() {
  return (target: object, key: string) => {
    Transform(compact)(target, key);
    IsString({ message: 'The prefix field must be a string.' })(target, key);
    Matches(/^\+?[0-9]{0,15}$/, {
      message: "The prefix field must be '' or up to 15 digits, optionally after a +.",
    })(target, key);
  };
}

function Priority() {
  return (target: object, key: string) => {
    IsInt({ message: 'The priority field must be an integer.' })(target, key);
    Min(0, { message: 'The priority field must be between 0 and 1000000.' })(target, key);
    Max(1_000_000, { message: 'The priority field must be between 0 and 1000000.' })(target, key);
  };
}

const PREFIX_DOC = {
  example: '+44',
  description:
    "E.164 prefix of the destinations this route carries; '' matches every number. The longest matching prefix wins.",
};
const PRIORITY_DOC = {
  minimum: 0,
  maximum: 1_000_000,
  example: 100,
  description: 'Lower runs first among equally long prefixes; default 100',
};

export class CreateOutboundRouteDto {
  @ApiProperty({ example: 'UK via Carrier A', maxLength: 255, description: 'Unique in your tenant' })
  @Name()
  name!: string;

  @ApiPropertyOptional(PREFIX_DOC)
  @Present()
  @Prefix()
  prefix?: string;

  @ApiPropertyOptional(PRIORITY_DOC)
  @Present()
  @Priority()
  priority?: number;

  @ApiProperty({ format: 'uuid', description: 'Trunk of your tenant' })
  @Reference()
  trunk_id!: string;
}

/** PATCH and PUT alike: every field optional, absent fields unchanged. */
export class UpdateOutboundRouteDto {
  @ApiPropertyOptional({ example: 'UK via Carrier A', maxLength: 255 })
  @Present()
  @Name()
  name?: string;

  @ApiPropertyOptional(PREFIX_DOC)
  @Present()
  @Prefix()
  prefix?: string;

  @ApiPropertyOptional(PRIORITY_DOC)
  @Present()
  @Priority()
  priority?: number;

  @ApiPropertyOptional({ format: 'uuid' })
  @Present()
  @Reference()
  trunk_id?: string;
}

export class ResolveRouteDto {
  @ApiProperty({
    example: '020 7946 0000',
    description: "What a device would dial; national numbers are read in your tenant's default country",
  })
  @IsString({ message: 'The number field must be a string.' })
  @IsNotEmpty({ message: 'The number field is required.' })
  @MaxLength(64, { message: 'The number field must not be greater than 64 characters.' })
  number!: string;
}
