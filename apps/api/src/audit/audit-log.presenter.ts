import { ApiProperty } from '@nestjs/swagger';
import type { AuditLogEntity } from '@pbx/database';

export class AuditEntryResource {
  @ApiProperty({ example: '42', description: 'Monotonic within the log; a string, since it is a bigint' })
  id!: string;
  @ApiProperty({ example: 'tenant:7b0c…', description: "'platform' or 'tenant:<uuid>'" }) chain!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) tenant_id!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) actor_user_id!: string | null;
  @ApiProperty({ type: String, nullable: true }) actor_email!: string | null;
  @ApiProperty({ example: 'user.updated' }) action!: string;
  @ApiProperty({ type: String, nullable: true, example: 'user' }) target_type!: string | null;
  @ApiProperty({ type: String, nullable: true }) target_id!: string | null;
  @ApiProperty({ type: String, nullable: true }) ip!: string | null;
  @ApiProperty({ type: String, nullable: true }) user_agent!: string | null;
  @ApiProperty({ enum: ['success', 'failure', 'denied'] }) result!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { fields: ['name'] } })
  metadata!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ description: 'Hash of the previous entry in this chain (64 zeros for the first)' })
  prev_hash!: string;
  @ApiProperty({ description: 'HMAC-SHA256 over prev_hash and this entry' }) hash!: string;
}

export function presentAuditEntry(a: AuditLogEntity): AuditEntryResource {
  return {
    id: a.id,
    chain: a.chain,
    tenant_id: a.tenantId,
    actor_user_id: a.actorUserId,
    actor_email: a.actorEmail,
    action: a.action,
    target_type: a.targetType,
    target_id: a.targetId,
    ip: a.ip,
    user_agent: a.userAgent,
    result: a.result,
    metadata: a.metadata,
    created_at: a.createdAt.toISOString(),
    prev_hash: a.prevHash,
    hash: a.hash,
  };
}
