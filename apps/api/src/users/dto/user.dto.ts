import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ROLE_KEYS } from '@pbx/common';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsEmail,
  IsIn,
  IsNotEmpty,
  IsString,
  MaxLength,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { MAX_PASSWORD_BYTES } from '../../auth/password.service';
import { MaxUtf8Bytes } from '../../http/validators';

export const MIN_PASSWORD_LENGTH = 12;

const lower = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;
const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** Skips validation only when the field is absent: an explicit null is an error, not "leave unchanged". */
const Present = () => ValidateIf((_: object, v: unknown) => v !== undefined);

export function Email() {
  return (target: object, key: string) => {
    Transform(lower)(target, key);
    IsNotEmpty({ message: 'The email field is required.' })(target, key);
    IsEmail({}, { message: 'The email field must be a valid email address.' })(target, key);
    MaxLength(254, { message: 'The email field must not be greater than 254 characters.' })(target, key);
  };
}

export function Name() {
  return (target: object, key: string) => {
    Transform(trim)(target, key);
    IsString({ message: 'The name field must be a string.' })(target, key);
    IsNotEmpty({ message: 'The name field is required.' })(target, key);
    MaxLength(255, { message: 'The name field must not be greater than 255 characters.' })(target, key);
  };
}

function Password() {
  return (target: object, key: string) => {
    Present()(target, key);
    IsString({ message: 'The password field must be a string.' })(target, key);
    MinLength(MIN_PASSWORD_LENGTH, {
      message: `The password field must be at least ${MIN_PASSWORD_LENGTH} characters.`,
    })(target, key);
    MaxUtf8Bytes(MAX_PASSWORD_BYTES)(target, key);
  };
}

function Roles() {
  return (target: object, key: string) => {
    IsArray({ message: 'The roles field must be an array.' })(target, key);
    ArrayNotEmpty({ message: 'The roles field must have at least 1 item.' })(target, key);
    ArrayMaxSize(ROLE_KEYS.length, {
      message: `The roles field must not have more than ${ROLE_KEYS.length} items.`,
    })(target, key);
    ArrayUnique({ message: 'The roles field has a duplicate value.' })(target, key);
    IsIn(ROLE_KEYS, {
      each: true,
      message: `The selected roles are invalid. Allowed: ${ROLE_KEYS.join(', ')}.`,
    })(target, key);
  };
}

const PASSWORD_DOC = {
  format: 'password',
  minLength: MIN_PASSWORD_LENGTH,
  maxLength: MAX_PASSWORD_BYTES,
  description: `${MIN_PASSWORD_LENGTH} characters to ${MAX_PASSWORD_BYTES} bytes in UTF-8. Omit it and the server generates a strong one, returned once as meta.generated_password.`,
};

export class CreateUserDto {
  @ApiProperty({ example: 'jane@example.com', maxLength: 254 })
  @Email()
  email!: string;

  @ApiProperty({ example: 'Jane Doe', maxLength: 255 })
  @Name()
  name!: string;

  @ApiPropertyOptional(PASSWORD_DOC)
  @Password()
  password?: string;

  @ApiProperty({
    enum: ROLE_KEYS,
    isArray: true,
    example: ['agent'],
    description: 'Only roles whose permissions you hold yourself',
  })
  @Roles()
  roles!: string[];
}

/** PATCH and PUT alike: every field optional, absent fields unchanged. */
export class UpdateUserDto {
  @ApiPropertyOptional({
    example: 'jane@example.com',
    maxLength: 254,
    description: "Changing it ends the user's sessions",
  })
  @Present()
  @Email()
  email?: string;

  @ApiPropertyOptional({ example: 'Jane Doe', maxLength: 255 })
  @Present()
  @Name()
  name?: string;

  @ApiPropertyOptional({
    enum: ROLE_KEYS,
    isArray: true,
    description: "Replaces the user's roles; a change ends their sessions",
  })
  @Present()
  @Roles()
  roles?: string[];
}

export class ResetPasswordDto {
  @ApiPropertyOptional(PASSWORD_DOC)
  @Password()
  password?: string;
}

export class GeneratedPasswordMeta {
  @ApiProperty({ description: 'Shown this once and never again; hand it to the user over a safe channel' })
  generated_password!: string;
}
