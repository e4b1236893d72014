import { Column, Entity, JoinTable, ManyToMany, PrimaryColumn } from 'typeorm';

@Entity({ name: 'permissions' })
export class PermissionEntity {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_permissions' })
  key!: string;

  @Column({ type: 'text' })
  description!: string;
}

@Entity({ name: 'roles' })
export class RoleEntity {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_roles' })
  key!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  description!: string;

  @ManyToMany(() => PermissionEntity, { eager: false })
  @JoinTable({
    name: 'role_permissions',
    joinColumn: { name: 'role_key', referencedColumnName: 'key', foreignKeyConstraintName: 'fk_role_permissions_role' },
    inverseJoinColumn: {
      name: 'permission_key',
      referencedColumnName: 'key',
      foreignKeyConstraintName: 'fk_role_permissions_permission',
    },
  })
  permissions!: PermissionEntity[];
}
