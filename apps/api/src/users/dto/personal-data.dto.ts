import { ApiProperty } from '@nestjs/swagger';
import { AuditEntryResource } from '../../audit/audit-log.presenter';
import { CdrResource } from '../../cdrs/cdr.presenter';
import { DeviceResource } from '../../devices/device.presenter';
import { ExtensionResource } from '../../extensions/extension.presenter';
import { UserResource } from '../user.presenter';

/** Everything the system holds about one user, as one JSON document (GDPR art. 15 and 20). */
export class UserExportResource {
  @ApiProperty({ type: UserResource }) user!: UserResource;
  @ApiProperty({ type: ExtensionResource, isArray: true }) extensions!: ExtensionResource[];
  @ApiProperty({ type: DeviceResource, isArray: true, description: 'Never their credentials' }) devices!: DeviceResource[];
  @ApiProperty({ type: CdrResource, isArray: true, description: 'Calls of their devices and extensions, numbers in full' })
  cdrs!: CdrResource[];
  @ApiProperty({ description: 'True when there were more CDRs than one export holds (50,000)' }) cdrs_truncated!: boolean;
  @ApiProperty({ type: AuditEntryResource, isArray: true, description: 'Entries they wrote or that are about them' })
  audit_entries!: AuditEntryResource[];
}

export class ErasureResource {
  @ApiProperty({ format: 'uuid' }) user_id!: string;
  @ApiProperty() devices_deleted!: number;
  @ApiProperty({ description: 'Extensions kept in the numbering plan, unassigned and renamed' }) extensions_unassigned!: number;
  @ApiProperty() cdrs_pseudonymised!: number;
  @ApiProperty({ description: 'Audit entries whose actor email, IP and user agent were cleared' }) audit_entries_erased!: number;
  @ApiProperty({ description: 'Entries older than personal digests, kept whole so the chain still verifies' })
  audit_entries_kept!: number;
  @ApiProperty() sessions_revoked!: number;
}
