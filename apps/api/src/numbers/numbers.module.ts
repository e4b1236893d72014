import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { NumbersController } from './numbers.controller';
import { NumbersService } from './numbers.service';

@Module({ imports: [AuditModule], controllers: [NumbersController], providers: [NumbersService] })
export class NumbersModule {}
