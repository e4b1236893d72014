import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { Present, PresentOrNull, Reference, trim } from '../../extensions/telephony-validation';

function PhoneNumber() {
  return (target: object, key: string) => {
    Transform(trim)(target, key);
    IsString({ message: 'The number field must be a string.' })(target, key);
    IsNotEmpty({ message: 'The number field is required.' })(target, key);
    MaxLength(32, { message: 'The number field must not be greater than 32 characters.' })(target, key);
  };
}

const NUMBER_DOC = {
  example: '+44 20 7946 0000',
  description:
    "Any dialable format; stored as E.164, national numbers read in your tenant's default country. Unique platform-wide.",
};
const EXTENSION_DOC = {
  type: String,
  format: 'uuid',
  nullable: true,
  description: 'Extension of your tenant calls ring',
};

export class CreateDidDto {
  @ApiProperty(NUMBER_DOC)
  @PhoneNumber()
  number!: string;

  @ApiProperty({ format: 'uuid', description: 'Trunk of your tenant the number arrives on' })
  @Reference()
  trunk_id!: string;

  @ApiPropertyOptional(EXTENSION_DOC)
  @PresentOrNull()
  @Reference()
  extension_id?: string | null;
}

/** PATCH and PUT alike: every field optional, absent fields unchanged; extension_id null unassigns. */
export class UpdateDidDto {
  @ApiPropertyOptional(NUMBER_DOC)
  @Present()
  @PhoneNumber()
  number?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @Present()
  @Reference()
  trunk_id?: string;

  @ApiPropertyOptional(EXTENSION_DOC)
  @PresentOrNull()
  @Reference()
  extension_id?: string | null;
}
