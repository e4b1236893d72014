import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { LiveController } from './live.controller';
import { LiveService } from './live.service';

@Module({ imports: [AuditModule], controllers: [LiveController], providers: [LiveService] })
export class LiveModule {}
