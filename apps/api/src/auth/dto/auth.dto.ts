import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { MaxUtf8Bytes } from '../../http/validators';
import { MAX_PASSWORD_BYTES } from '../password.service';

const lower = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

export class LoginDto {
  @ApiProperty({ example: 'admin@example.com' })
  @Transform(lower)
  @IsNotEmpty({ message: 'The email field is required.' })
  @IsEmail({}, { message: 'The email field must be a valid email address.' })
  @MaxLength(254, { message: 'The email field must not be greater than 254 characters.' })
  email!: string;

  @ApiProperty({ format: 'password', maxLength: MAX_PASSWORD_BYTES, description: 'At most 72 bytes in UTF-8' })
  @IsString({ message: 'The password field must be a string.' })
  @IsNotEmpty({ message: 'The password field is required.' })
  @MaxUtf8Bytes(MAX_PASSWORD_BYTES)
  password!: string;
}

export class RefreshDto {
  @ApiProperty({ description: 'The opaque refresh token from login or the previous refresh' })
  @IsString({ message: 'The refresh_token field must be a string.' })
  @IsNotEmpty({ message: 'The refresh_token field is required.' })
  refresh_token!: string;
}

export class TokenPairDto {
  @ApiProperty({ description: 'RS256 JWT (RFC 9068 at+jwt)' }) access_token!: string;
  @ApiProperty({ example: 'Bearer' }) token_type!: 'Bearer';
  @ApiProperty({ example: 3600 }) expires_in!: number;
  @ApiProperty({ description: 'Opaque, single use: each refresh returns a new one' }) refresh_token!: string;
  @ApiProperty({ example: 2592000 }) refresh_expires_in!: number;
}
