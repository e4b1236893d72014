import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, Matches } from 'class-validator';
import { Name, Present, PresentOrNull, Reference, trim } from '../telephony-validation';

function ExtensionNumber() {
  return (target: object, key: string) => {
    Transform(trim)(target, key);
    IsString({ message: 'The number field must be a string.' })(target, key);
    Matches(/^[0-9]{2,10}$/, { message: 'The number field must be 2 to 10 digits.' })(target, key);
  };
}

const NUMBER_DOC = { example: '1001', pattern: '^[0-9]{2,10}$', description: 'Unique in your tenant' };
const USER_DOC = {
  type: String,
  format: 'uuid',
  nullable: true,
  description: 'A user of your tenant this extension belongs to',
};

export class CreateExtensionDto {
  @ApiProperty(NUMBER_DOC)
  @ExtensionNumber()
  number!: string;

  @ApiProperty({ example: 'Reception', maxLength: 255 })
  @Name()
  name!: string;

  @ApiPropertyOptional(USER_DOC)
  @PresentOrNull()
  @Reference()
  user_id?: string | null;
}

/** PATCH and PUT alike: every field optional, absent fields unchanged; user_id null unassigns. */
export class UpdateExtensionDto {
  @ApiPropertyOptional(NUMBER_DOC)
  @Present()
  @ExtensionNumber()
  number?: string;

  @ApiPropertyOptional({ example: 'Reception', maxLength: 255 })
  @Present()
  @Name()
  name?: string;

  @ApiPropertyOptional(USER_DOC)
  @PresentOrNull()
  @Reference()
  user_id?: string | null;
}
