import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { UserEntity } from '@pbx/database';

export class UserResource {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) tenant_id!: string;
  @ApiProperty() email!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['active', 'deactivated'] }) status!: string;
  @ApiProperty({ type: [String], example: ['tenant_admin'] }) roles!: string[];
  @ApiProperty() locked!: boolean;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) last_login_at!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

/** The only shape a user leaves the API in: no hash, no counters an attacker could use. */
export function presentUser(u: UserEntity): UserResource {
  return {
    id: u.id,
    tenant_id: u.tenantId,
    email: u.email,
    name: u.name,
    status: u.status,
    roles: (u.roles ?? []).map((r) => r.key).sort(),
    locked: !!u.lockedUntil && u.lockedUntil.getTime() > Date.now(),
    last_login_at: u.lastLoginAt ? u.lastLoginAt.toISOString() : null,
    created_at: u.createdAt.toISOString(),
    updated_at: u.updatedAt.toISOString(),
  };
}
