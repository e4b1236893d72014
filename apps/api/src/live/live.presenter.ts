import { applyDecorators, Type } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { LiveCall, LiveRegistration, maskPhoneNumber } from '@pbx/common';

export class LiveRegistrationResource {
  @ApiProperty({ format: 'uuid' }) device_id!: string;
  @ApiProperty({ example: 'sip:1001@198.51.100.7:5061;transport=tls' }) contact!: string;
  @ApiProperty({ example: '198.51.100.7' }) source_ip!: string;
  @ApiProperty({ example: 'tls' }) transport!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) user_agent!: string | null;
  @ApiProperty({ format: 'date-time' }) expires_at!: string;
}

export class LiveCallResource {
  @ApiProperty({ description: 'SIP Call-ID; use it to hang up' }) call_id!: string;
  @ApiProperty({ enum: ['inbound', 'outbound', 'internal'] }) direction!: string;
  @ApiProperty({ enum: ['ringing', 'answered'] }) state!: string;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) device_id!: string | null;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) extension_id!: string | null;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) trunk_id!: string | null;
  @ApiProperty({ example: '+44 •••• 0000', description: 'Masked unless you hold cdrs.view_numbers' })
  from_number!: string;
  @ApiProperty({ example: '+1 •••• 0143', description: 'Masked like from_number' }) to_number!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) source_ip!: string | null;
  @ApiProperty({ format: 'date-time' }) started_at!: string;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) answered_at!: string | null;
}

export class HangupResource {
  @ApiProperty({ enum: ['hangup_requested'] }) status!: 'hangup_requested';
}

export function presentRegistration(deviceId: string, r: LiveRegistration): LiveRegistrationResource {
  return { device_id: deviceId, ...r };
}

/** Same rule as CDRs: a live call's numbers are as personal as a finished one's. */
export function presentCall(c: LiveCall, revealNumbers: boolean): LiveCallResource {
  if (revealNumbers) return { ...c };
  return { ...c, from_number: maskPhoneNumber(c.from_number), to_number: maskPhoneNumber(c.to_number) };
}

/** `{ data: Model[] }`: a whole collection, not paginated (live state is small and changes by the second). */
export function ApiCollectionResponse(model: Type<unknown>) {
  return applyDecorators(
    ApiExtraModels(model),
    ApiResponse({
      status: 200,
      description: 'OK',
      schema: {
        type: 'object',
        required: ['data'],
        properties: { data: { type: 'array', items: { $ref: getSchemaPath(model) } } },
      },
    }),
  );
}
