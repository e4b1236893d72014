import { ApiProperty } from '@nestjs/swagger';
import type { TrunkEntity } from '@pbx/database';

export class TrunkResource {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) tenant_id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: 'sip.carrier.example' }) host!: string;
  @ApiProperty({ example: 5061 }) port!: number;
  @ApiProperty({ enum: ['udp', 'tcp', 'tls'] }) transport!: string;
  @ApiProperty({ type: String, nullable: true }) auth_username!: string | null;
  @ApiProperty({
    description: 'Whether an outbound auth password is stored; the password itself is never returned',
  })
  has_auth_password!: boolean;
  @ApiProperty({ type: String, isArray: true }) inbound_cidrs!: string[];
  @ApiProperty({ type: Number, nullable: true }) max_channels!: number | null;
  @ApiProperty({ enum: ['active', 'disabled'] }) status!: string;
  @ApiProperty({ description: 'Registers upstream with auth_username' }) register!: boolean;
  @ApiProperty() register_expires!: number;
  @ApiProperty({ description: 'Calls go on unanchored when rtpengine is unreachable' }) allow_unanchored_media!: boolean;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

/** The only shape a trunk leaves the API in: never its secret, sealed or not. */
export function presentTrunk(t: TrunkEntity): TrunkResource {
  return {
    id: t.id,
    tenant_id: t.tenantId,
    name: t.name,
    host: t.host,
    port: t.port,
    transport: t.transport,
    auth_username: t.authUsername,
    has_auth_password: t.authSecretKeyVersion !== null,
    inbound_cidrs: t.inboundCidrs,
    max_channels: t.maxChannels,
    status: t.status,
    register: t.register,
    register_expires: t.registerExpires,
    allow_unanchored_media: t.allowUnanchoredMedia,
    created_at: t.createdAt.toISOString(),
    updated_at: t.updatedAt.toISOString(),
  };
}
