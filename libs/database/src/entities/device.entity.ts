import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type DeviceStatus = 'active' | 'suspended' | 'locked';
export type DigestAlgorithm = 'SHA-256' | 'MD5';
export type SipTransport = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

/** A SIP endpoint. Only the digests (RFC 8760 HA1 for MD5 and SHA-256 over the tenant realm) are stored. */
@Entity({ name: 'devices' })
export class DeviceEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_devices' }) id!: string;
  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @Column({ name: 'extension_id', type: 'uuid' }) extensionId!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ name: 'sip_username', type: 'text' }) sipUsername!: string;
  @Column({ name: 'ha1_md5', type: 'char', length: 32, select: false }) ha1Md5!: string;
  @Column({ name: 'ha1_sha256', type: 'char', length: 64, select: false }) ha1Sha256!: string;
  @Column({ name: 'digest_algorithms', type: 'text', array: true }) digestAlgorithms!: DigestAlgorithm[];
  @Column({ type: 'text', array: true }) transports!: SipTransport[];
  @Column({ name: 'allowed_cidrs', type: 'text', array: true }) allowedCidrs!: string[];
  @Column({ name: 'max_registrations', type: 'int' }) maxRegistrations!: number;
  @Column({ type: 'text' }) status!: DeviceStatus;
  @Column({ name: 'lock_level', type: 'smallint' }) lockLevel!: number;
  @Column({ name: 'lock_reason', type: 'text', nullable: true }) lockReason!: string | null;
  @Column({ name: 'credentials_rotated_at', type: 'timestamptz' }) credentialsRotatedAt!: Date;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
