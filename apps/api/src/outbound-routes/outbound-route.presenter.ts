import { ApiProperty } from '@nestjs/swagger';
import type { OutboundRouteEntity } from '@pbx/database';

export class OutboundRouteResource {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) tenant_id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: '+44' }) prefix!: string;
  @ApiProperty({ example: 100 }) priority!: number;
  @ApiProperty({ format: 'uuid' }) trunk_id!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export function presentOutboundRoute(r: OutboundRouteEntity): OutboundRouteResource {
  return {
    id: r.id,
    tenant_id: r.tenantId,
    name: r.name,
    prefix: r.prefix,
    priority: r.priority,
    trunk_id: r.trunkId,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

export class RouteCandidateResource {
  @ApiProperty({ format: 'uuid' }) route_id!: string;
  @ApiProperty() route_name!: string;
  @ApiProperty({ example: '+44' }) prefix!: string;
  @ApiProperty() priority!: number;
  @ApiProperty({ format: 'uuid' }) trunk_id!: string;
  @ApiProperty() trunk_name!: string;
  @ApiProperty({
    enum: ['active', 'disabled'],
    description: 'A disabled trunk is listed but skipped when calling',
  })
  trunk_status!: string;
}

export class RouteResolutionResource {
  @ApiProperty({ example: '020 7946 0000' }) input!: string;
  @ApiProperty({ enum: ['e164', 'emergency', 'internal'] }) kind!: string;
  @ApiProperty({ type: String, nullable: true, example: '+442079460000' }) e164!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'GB' }) country!: string | null;
  @ApiProperty({ type: RouteCandidateResource, isArray: true, description: 'Best first' })
  candidates!: RouteCandidateResource[];
}
