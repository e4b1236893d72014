import { ApiProperty } from '@nestjs/swagger';
import type { NumberAssignmentEntity } from '@pbx/database';

export class NumberAssignmentResource {
  @ApiProperty({ example: '+442079460000', description: 'E.164' }) number!: string;
  @ApiProperty({ format: 'uuid' }) tenant_id!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export function presentNumber(n: NumberAssignmentEntity): NumberAssignmentResource {
  return { number: n.number, tenant_id: n.tenantId, created_at: n.createdAt.toISOString() };
}
