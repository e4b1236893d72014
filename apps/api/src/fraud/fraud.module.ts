import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { AuthModule } from '../auth/auth.module';
import { PolicyModule } from '../policy/policy.module';
import { keyringProvider } from '../trunks/keyring';
import { FraudActionsController } from './fraud-actions.controller';
import { FraudActionsService } from './fraud-actions.service';
import { PlaybookController } from './playbook.controller';
import { PlaybookService } from './playbook.service';

/** Fraud response as the API shows it: the tenant's playbook, and the actions taken per alert with their undo. */
@Module({
  imports: [AuditModule, AuthModule, PolicyModule],
  controllers: [PlaybookController, FraudActionsController],
  providers: [keyringProvider, PlaybookService, FraudActionsService],
})
export class FraudModule {}
