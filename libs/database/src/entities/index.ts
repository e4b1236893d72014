import { AuditLogEntity } from './audit-log.entity';
import { RefreshTokenEntity } from './refresh-token.entity';
import { PermissionEntity, RoleEntity } from './role.entity';
import { TenantEntity } from './tenant.entity';
import { UserEntity } from './user.entity';

export * from './audit-log.entity';
export * from './refresh-token.entity';
export * from './role.entity';
export * from './tenant.entity';
export * from './user.entity';

export const ALL_ENTITIES = [TenantEntity, PermissionEntity, RoleEntity, UserEntity, RefreshTokenEntity, AuditLogEntity];
