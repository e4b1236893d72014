import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { BanEntity, banStatus } from '@pbx/database';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export class BanResource {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['tenant', 'platform'] }) scope!: string;
  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'null for platform bans',
  })
  tenant_id!: string | null;
  @ApiProperty({ example: '198.51.100.7' }) ip!: string;
  @ApiProperty() reason!: string;
  @ApiProperty({ enum: ['manual', 'scanner', 'brute_force', 'fraud'] }) source!: string;
  @ApiProperty({ enum: ['active', 'lifted', 'expired'] }) status!: string;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) created_by!: string | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, description: 'null: no end' })
  expires_at!: string | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) lifted_at!: string | null;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) lifted_by!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export function presentBan(b: BanEntity): BanResource {
  return {
    id: b.id,
    scope: b.tenantId === null ? 'platform' : 'tenant',
    tenant_id: b.tenantId,
    ip: b.ip,
    reason: b.reason,
    source: b.source,
    status: banStatus(b),
    created_by: b.createdBy,
    expires_at: iso(b.expiresAt),
    lifted_at: iso(b.liftedAt),
    lifted_by: b.liftedBy,
    created_at: b.createdAt.toISOString(),
  };
}
