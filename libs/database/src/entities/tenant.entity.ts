import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type TenantStatus = 'active' | 'suspended';

@Entity({ name: 'tenants' })
export class TenantEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_tenants' })
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  slug!: string;

  @Column({ type: 'text', default: 'active' })
  status!: TenantStatus;

  @Column({ name: 'default_country', type: 'char', length: 2, default: 'US' })
  defaultCountry!: string;

  @Column({ type: 'text', default: 'UTC' })
  timezone!: string;

  /** Digest realm of the tenant's devices; HA1s are computed over it, so changing it voids every credential. */
  @Column({ name: 'sip_realm', type: 'text' })
  sipRealm!: string;

  /** 0 none, 1 no international, 2 internal and emergency only, 3 emergency only. */
  @Column({ name: 'lock_level', type: 'smallint', default: 0 })
  lockLevel!: number;

  @Column({ name: 'lock_reason', type: 'text', nullable: true })
  lockReason!: string | null;

  /** Device legs must offer SRTP (SDES or DTLS); an offer without it gets 488. */
  @Column({ name: 'srtp_required', type: 'boolean', default: true })
  srtpRequired!: boolean;

  /** Codecs (encoding names) device offers are reduced to; empty allows every codec. */
  @Column({ name: 'codec_allow_list', type: 'text', array: true, default: () => "'{}'" })
  codecAllowList!: string[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
