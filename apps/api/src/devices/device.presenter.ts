import { ApiProperty } from '@nestjs/swagger';
import type { DeviceEntity } from '@pbx/database';

export class DeviceResource {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) tenant_id!: string;
  @ApiProperty({ format: 'uuid' }) extension_id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: 'dq4k7m2xw9a' }) sip_username!: string;
  @ApiProperty({ enum: ['SHA-256', 'MD5'], isArray: true }) digest_algorithms!: string[];
  @ApiProperty({ enum: ['udp', 'tcp', 'tls', 'ws', 'wss'], isArray: true }) transports!: string[];
  @ApiProperty({ type: [String], example: ['203.0.113.0/24'] }) allowed_cidrs!: string[];
  @ApiProperty({ example: 3 }) max_registrations!: number;
  @ApiProperty({ enum: ['active', 'suspended', 'locked'] }) status!: string;
  @ApiProperty({ minimum: 0, maximum: 3, description: 'Read-only here; set through the lock endpoints' })
  lock_level!: number;
  @ApiProperty({ type: String, nullable: true, description: 'Read-only here' }) lock_reason!: string | null;
  @ApiProperty({ format: 'date-time' }) credentials_rotated_at!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

/** The only shape a device leaves the API in: never a password or digest. */
export function presentDevice(d: DeviceEntity): DeviceResource {
  return {
    id: d.id,
    tenant_id: d.tenantId,
    extension_id: d.extensionId,
    name: d.name,
    sip_username: d.sipUsername,
    digest_algorithms: d.digestAlgorithms,
    transports: d.transports,
    allowed_cidrs: d.allowedCidrs,
    max_registrations: d.maxRegistrations,
    status: d.status,
    lock_level: d.lockLevel,
    lock_reason: d.lockReason,
    credentials_rotated_at: d.credentialsRotatedAt.toISOString(),
    created_at: d.createdAt.toISOString(),
    updated_at: d.updatedAt.toISOString(),
  };
}
