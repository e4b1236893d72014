import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { BansController } from './bans.controller';
import { BansService } from './bans.service';
import { DropListSync } from './drop-list-sync.service';

@Module({ imports: [AuditModule], controllers: [BansController], providers: [BansService, DropListSync] })
export class BansModule {}
