import { Module } from '@nestjs/common';
import { AuditLogController } from './audit-log.controller';
import { AuditLogService } from './audit-log.service';
import { AuditModule } from './audit.module';

@Module({ imports: [AuditModule], controllers: [AuditLogController], providers: [AuditLogService] })
export class AuditLogModule {}
