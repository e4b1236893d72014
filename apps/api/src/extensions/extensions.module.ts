import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { ExtensionsController } from './extensions.controller';
import { ExtensionsService } from './extensions.service';
import { InvalidationService } from './invalidation.service';

@Module({
  imports: [AuditModule],
  controllers: [ExtensionsController],
  providers: [ExtensionsService, InvalidationService],
  exports: [InvalidationService],
})
export class ExtensionsModule {}
