import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { PolicyLoader } from '@pbx/database';
import type { FastifyInstance } from 'fastify';
import { AuditModule } from '../audit/audit.module';
import { DestinationRulesController } from './destination-rules.controller';
import { DevicePolicyController } from './device-policy.controller';
import { DevicePolicyService } from './device-policy.service';
import { PolicyRulesService } from './policy-rules.service';
import { PolicyRuntime } from './policy-runtime.service';
import { PolicyController } from './policy.controller';
import { PolicyService } from './policy.service';
import { RatesController } from './rates.controller';
import { RatesService } from './rates.service';
import { SimulateService } from './simulate.service';
import { SourceRulesController } from './source-rules.controller';

@Module({
  imports: [AuditModule],
  controllers: [PolicyController, DestinationRulesController, SourceRulesController, RatesController, DevicePolicyController],
  providers: [PolicyLoader, PolicyRuntime, PolicyService, PolicyRulesService, RatesService, DevicePolicyService, SimulateService],
  exports: [PolicyRuntime],
})
export class PolicyModule implements OnModuleInit {
  constructor(private readonly http: HttpAdapterHost) {}

  /** The rates import takes CSV bodies; Fastify parses only JSON and text/plain by itself. */
  onModuleInit(): void {
    const fastify = this.http.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify || fastify.hasContentTypeParser('text/csv')) return;
    fastify.addContentTypeParser('text/csv', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  }
}
