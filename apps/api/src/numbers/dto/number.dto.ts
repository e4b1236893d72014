import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, Matches } from 'class-validator';
import { trim } from '../../extensions/telephony-validation';

export class AssignNumberDto {
  @ApiProperty({ example: '+442079460000', description: 'E.164, unique platform-wide' })
  @Transform(trim)
  @IsString({ message: 'The number field must be a string.' })
  @Matches(/^\+[1-9][0-9]{5,14}$/, { message: 'The number field must be an E.164 number, e.g. +442079460000.' })
  number!: string;
}
