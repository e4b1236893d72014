import { AuditLogEntity } from './audit-log.entity';
import { RefreshTokenEntity } from './refresh-token.entity';
import { PermissionEntity, RoleEntity } from './role.entity';
import { TenantEntity } from './tenant.entity';
import { UserEntity } from './user.entity';
import { DeviceEntity } from './device.entity';
import { ExtensionEntity } from './extension.entity';
import {
  DestinationRuleEntity,
  DevicePolicyOverrideEntity,
  FraudPolicyEntity,
  RateEntity,
  SourceRuleEntity,
} from './fraud-policy.entity';
import { AlertEntity, BanEntity, CdrEntity } from './operations.entity';
import { FraudActionEntity, FraudPlaybookEntity } from './fraud-response.entity';
import { DidEntity, NumberAssignmentEntity, OutboundRouteEntity, TrunkEntity } from './trunk.entity';

export * from './audit-log.entity';
export * from './refresh-token.entity';
export * from './role.entity';
export * from './tenant.entity';
export * from './user.entity';
export * from './device.entity';
export * from './extension.entity';
export * from './fraud-policy.entity';
export * from './operations.entity';
export * from './trunk.entity';
export * from './fraud-response.entity';

export const ALL_ENTITIES = [
  TenantEntity,
  PermissionEntity,
  RoleEntity,
  UserEntity,
  RefreshTokenEntity,
  AuditLogEntity,
  ExtensionEntity,
  DeviceEntity,
  TrunkEntity,
  DidEntity,
  NumberAssignmentEntity,
  OutboundRouteEntity,
  FraudPolicyEntity,
  DevicePolicyOverrideEntity,
  DestinationRuleEntity,
  RateEntity,
  SourceRuleEntity,
  CdrEntity,
  AlertEntity,
  BanEntity,
  FraudPlaybookEntity,
  FraudActionEntity,
];
