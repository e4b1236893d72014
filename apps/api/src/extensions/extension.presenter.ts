import { ApiProperty } from '@nestjs/swagger';
import type { ExtensionEntity } from '@pbx/database';

export class ExtensionResource {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) tenant_id!: string;
  @ApiProperty({ example: '1001' }) number!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) user_id!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export function presentExtension(e: ExtensionEntity): ExtensionResource {
  return {
    id: e.id,
    tenant_id: e.tenantId,
    number: e.number,
    name: e.name,
    user_id: e.userId,
    created_at: e.createdAt.toISOString(),
    updated_at: e.updatedAt.toISOString(),
  };
}
