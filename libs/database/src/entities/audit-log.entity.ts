import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type AuditResult = 'success' | 'failure' | 'denied';

/** Append-only. Each row's hash covers the previous row's hash in the same chain and its own content. */
@Entity({ name: 'audit_log' })
export class AuditLogEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', primaryKeyConstraintName: 'pk_audit_log' })
  id!: string;

  /** 'platform' or 'tenant:<uuid>': one hash chain per tenant, so a tenant can verify its own. */
  @Column({ type: 'text' })
  chain!: string;

  @Column({ name: 'tenant_id', type: 'uuid', nullable: true })
  tenantId!: string | null;

  @Column({ name: 'actor_user_id', type: 'uuid', nullable: true })
  actorUserId!: string | null;

  @Column({ name: 'actor_email', type: 'text', nullable: true })
  actorEmail!: string | null;

  @Column({ type: 'text' })
  action!: string;

  @Column({ name: 'target_type', type: 'text', nullable: true })
  targetType!: string | null;

  @Column({ name: 'target_id', type: 'text', nullable: true })
  targetId!: string | null;

  @Column({ type: 'text', nullable: true })
  ip!: string | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent!: string | null;

  @Column({ type: 'text' })
  result!: AuditResult;

  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  metadata!: Record<string, unknown>;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'prev_hash', type: 'char', length: 64 })
  prevHash!: string;

  @Column({ type: 'char', length: 64 })
  hash!: string;

  /** HMAC of actor_email, ip and user_agent; the chain hashes it in their place (null on rows written before it existed). */
  @Column({ name: 'personal_digest', type: 'char', length: 64, nullable: true })
  personalDigest!: string | null;

  /** When the personal fields were erased (GDPR); the digest still stands for them in the chain. */
  @Column({ name: 'personal_erased_at', type: 'timestamptz', nullable: true })
  personalErasedAt!: Date | null;
}
