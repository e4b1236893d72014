import { ApiProperty } from '@nestjs/swagger';
import type { DidEntity } from '@pbx/database';

export class DidResource {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) tenant_id!: string;
  @ApiProperty({ example: '+442079460000', description: 'E.164' }) number!: string;
  @ApiProperty({ format: 'uuid' }) trunk_id!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) extension_id!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export function presentDid(d: DidEntity): DidResource {
  return {
    id: d.id,
    tenant_id: d.tenantId,
    number: d.number,
    trunk_id: d.trunkId,
    extension_id: d.extensionId,
    created_at: d.createdAt.toISOString(),
    updated_at: d.updatedAt.toISOString(),
  };
}
