import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CdrsController } from './cdrs.controller';
import { CdrsService } from './cdrs.service';

@Module({ imports: [AuditModule], controllers: [CdrsController], providers: [CdrsService] })
export class CdrsModule {}
