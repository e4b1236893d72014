import { ApiProperty } from '@nestjs/swagger';
import type { TenantEntity } from '@pbx/database';

export class TenantResource {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'Acme Telecom' }) name!: string;
  @ApiProperty({ example: 'acme' }) slug!: string;
  @ApiProperty({ enum: ['active', 'suspended'] }) status!: string;
  @ApiProperty({ example: 'US' }) default_country!: string;
  @ApiProperty({ example: 'America/New_York' }) timezone!: string;
  @ApiProperty() srtp_required!: boolean;
  @ApiProperty({ type: String, isArray: true }) codec_allow_list!: string[];
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export function presentTenant(t: TenantEntity): TenantResource {
  return {
    id: t.id,
    name: t.name,
    slug: t.slug,
    status: t.status,
    default_country: t.defaultCountry,
    timezone: t.timezone,
    srtp_required: t.srtpRequired,
    codec_allow_list: t.codecAllowList,
    created_at: t.createdAt.toISOString(),
    updated_at: t.updatedAt.toISOString(),
  };
}
