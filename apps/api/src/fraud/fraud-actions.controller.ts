import { Controller, Get, HttpCode, NotFoundException, Param, ParseUUIDPipe, Post, UseFilters } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DeniedAccessFilter } from '../audit/denied-access.filter';
import { CurrentPrincipal, Meta, RequirePermissions } from '../auth/guards/auth.decorators';
import type { Principal, RequestMeta } from '../auth/principal';
import { ApiErrors } from '../http/openapi';
import { ApiDataResponse } from '../http/openapi-envelopes';
import { FraudActionResource, presentAction } from './fraud.presenter';
import { FraudActionsService } from './fraud-actions.service';

const UUID = new ParseUUIDPipe({ exceptionFactory: () => new NotFoundException() });

@ApiTags('alerts')
@ApiBearerAuth()
@UseFilters(DeniedAccessFilter)
@Controller('api/v1/alerts/:alertId/actions')
export class FraudActionsController {
  constructor(private readonly actions: FraudActionsService) {}

  @Get()
  @RequirePermissions('alerts.view')
  @ApiOperation({ summary: 'What the fraud playbook did for this alert, oldest first' })
  @ApiDataResponse(FraudActionResource, { description: 'data is a list' })
  @ApiErrors(401, 403, 404)
  async list(@CurrentPrincipal() p: Principal, @Param('alertId', UUID) alertId: string): Promise<{ data: FraudActionResource[] }> {
    return { data: (await this.actions.list(p, alertId)).map(presentAction) };
  }

  @Post(':actionId/undo')
  @HttpCode(200)
  @RequirePermissions('policy.manage')
  @ApiOperation({
    summary: 'Undo a fraud action (lock, suspension, credential rotation, session revocation) unless it changed since; audited',
  })
  @ApiDataResponse(FraudActionResource)
  @ApiErrors(401, 403, 404, 422)
  async undo(
    @CurrentPrincipal() p: Principal,
    @Param('alertId', UUID) alertId: string,
    @Param('actionId', UUID) actionId: string,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: FraudActionResource }> {
    return { data: presentAction(await this.actions.undo(p, alertId, actionId, meta)) };
  }
}
