import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { AlertEntity } from '@pbx/database';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export class AlertResource {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) tenant_id!: string;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) device_id!: string | null;
  @ApiProperty({
    example: 'fraud.burst',
    description: 'What raised it, e.g. fraud.burst, scanner, brute_force',
  })
  kind!: string;
  @ApiProperty({ enum: ['info', 'warning', 'critical'] }) severity!: string;
  @ApiProperty({ enum: ['open', 'acknowledged', 'resolved'] }) status!: string;
  @ApiProperty() title!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) details!: Record<string, unknown>;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) acknowledged_by!: string | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) acknowledged_at!: string | null;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) resolved_by!: string | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) resolved_at!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Fraud findings with this key merge into this alert while it is unresolved' })
  dedupe_key!: string | null;
  @ApiProperty({ description: 'How many findings (distinct call events) this alert merges' }) occurrences!: number;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) last_seen_at!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export function presentAlert(a: AlertEntity): AlertResource {
  return {
    id: a.id,
    tenant_id: a.tenantId,
    device_id: a.deviceId,
    kind: a.kind,
    severity: a.severity,
    status: a.status,
    title: a.title,
    details: a.details,
    acknowledged_by: a.acknowledgedBy,
    acknowledged_at: iso(a.acknowledgedAt),
    resolved_by: a.resolvedBy,
    resolved_at: iso(a.resolvedAt),
    dedupe_key: a.dedupeKey,
    occurrences: a.occurrences,
    last_seen_at: iso(a.lastSeenAt),
    created_at: a.createdAt.toISOString(),
  };
}
