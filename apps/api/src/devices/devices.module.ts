import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { ExtensionsModule } from '../extensions/extensions.module';
import { DevicesController } from './devices.controller';
import { DevicesService } from './devices.service';

@Module({
  imports: [AuditModule, ExtensionsModule],
  controllers: [DevicesController],
  providers: [DevicesService],
})
export class DevicesModule {}
