import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { DidsController } from '../dids/dids.controller';
import { DidsService } from '../dids/dids.service';
import { ExtensionsModule } from '../extensions/extensions.module';
import { OutboundRoutesController } from '../outbound-routes/outbound-routes.controller';
import { OutboundRoutesService } from '../outbound-routes/outbound-routes.service';
import { keyringProvider } from './keyring';
import { TrunksController } from './trunks.controller';
import { TrunksService } from './trunks.service';

/** Carriers and what hangs off them: inbound numbers (DIDs) and outbound routes. */
@Module({
  imports: [AuditModule, ExtensionsModule],
  controllers: [TrunksController, DidsController, OutboundRoutesController],
  providers: [TrunksService, DidsService, OutboundRoutesService, keyringProvider],
})
export class TrunksModule {}
