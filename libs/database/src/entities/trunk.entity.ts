import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** A carrier. The outbound auth secret must be reversible, so it is AES-256-GCM ciphertext under a versioned KEK. */
@Entity({ name: 'trunks' })
export class TrunkEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_trunks' }) id!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text' }) host!: string;
  @Column({ type: 'int' }) port!: number;
  @Column({ type: 'text' }) transport!: 'udp' | 'tcp' | 'tls';
  @Column({ name: 'auth_username', type: 'text', nullable: true }) authUsername!: string | null;
  @Column({ name: 'auth_secret_ciphertext', type: 'text', nullable: true, select: false }) authSecretCiphertext!: string | null;
  @Column({ name: 'auth_secret_key_version', type: 'int', nullable: true }) authSecretKeyVersion!: number | null;
  @Column({ name: 'inbound_cidrs', type: 'text', array: true }) inboundCidrs!: string[];
  @Column({ name: 'max_channels', type: 'int', nullable: true }) maxChannels!: number | null;
  @Column({ type: 'text' }) status!: 'active' | 'disabled';
  /** Registers upstream with auth_username as its address of record (carriers that need it). */
  @Column({ type: 'boolean', default: false }) register!: boolean;
  @Column({ name: 'register_expires', type: 'int', default: 600 }) registerExpires!: number;
  /** Calls through this trunk may go on with media end to end when rtpengine is unreachable (else 503). */
  @Column({ name: 'allow_unanchored_media', type: 'boolean', default: false }) allowUnanchoredMedia!: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity({ name: 'dids' })
export class DidEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_dids' }) id!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ name: 'trunk_id', type: 'uuid' }) trunkId!: string;
  /** E.164 with the leading '+'. */
  @Column({ type: 'text' }) number!: string;
  @Column({ name: 'extension_id', type: 'uuid', nullable: true }) extensionId!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity({ name: 'outbound_routes' })
export class OutboundRouteEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_outbound_routes' }) id!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ type: 'text' }) name!: string;
  /** E.164 prefix the normalised destination must start with; '' matches everything. */
  @Column({ type: 'text' }) prefix!: string;
  /** Lower runs first among routes whose prefix matches equally long. */
  @Column({ type: 'int' }) priority!: number;
  @Column({ name: 'trunk_id', type: 'uuid' }) trunkId!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

/** A public number the platform gave a tenant; only that tenant's DIDs (and so its trunks) can use it. */
@Entity({ name: 'number_assignments' })
export class NumberAssignmentEntity {
  /** E.164 with the leading '+'. */
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_number_assignments' }) number!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ name: 'assigned_by', type: 'uuid', nullable: true }) assignedBy!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
