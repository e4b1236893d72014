import {
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  UseFilters,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ALERT_SORTABLE } from '@pbx/database';
import type { FastifyRequest } from 'fastify';
import { DeniedAccessFilter } from '../audit/denied-access.filter';
import { CurrentPrincipal, Meta, RequirePermissions } from '../auth/guards/auth.decorators';
import type { Principal, RequestMeta } from '../auth/principal';
import { API_CONFIG, ApiConfig } from '../config/api-config';
import { parseListQuery } from '../http/list-query';
import { ApiErrors } from '../http/openapi';
import { ApiDataResponse, ApiListQuery, ApiPageResponse } from '../http/openapi-envelopes';
import { paginate, PaginatedEnvelope } from '../http/pagination';
import { AlertResource, presentAlert } from './alert.presenter';
import { ALERT_FILTERABLE, AlertsService, parseAlertFilters } from './alerts.service';

const ALERT_ID = new ParseUUIDPipe({ exceptionFactory: () => new NotFoundException() });

@ApiTags('alerts')
@ApiBearerAuth()
@UseFilters(DeniedAccessFilter)
@Controller('api/v1/alerts')
export class AlertsController {
  constructor(
    private readonly alerts: AlertsService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Get()
  @RequirePermissions('alerts.view')
  @ApiOperation({ summary: "List your tenant's fraud and security alerts" })
  @ApiListQuery(
    `Comma-separated, - for descending: ${ALERT_SORTABLE.join(', ')}; default -created_at`,
    'filter[status] (open|acknowledged|resolved), filter[severity] (info|warning|critical), filter[kind], filter[device_id]',
  )
  @ApiPageResponse(AlertResource)
  @ApiErrors(401, 403, 422)
  async list(
    @CurrentPrincipal() p: Principal,
    @Query() query: Record<string, unknown>,
    @Req() req: FastifyRequest,
  ): Promise<PaginatedEnvelope<AlertResource>> {
    const q = parseListQuery(query, {
      sortable: ALERT_SORTABLE,
      filterable: ALERT_FILTERABLE,
      defaultSort: '-created_at',
    });
    const page = await this.alerts.list(p, parseAlertFilters(q.filters), q);
    return paginate(page, q, this.config.API_PUBLIC_URL, req.url, presentAlert);
  }

  @Get(':id')
  @RequirePermissions('alerts.view')
  @ApiOperation({ summary: 'Show an alert of your tenant' })
  @ApiDataResponse(AlertResource)
  @ApiErrors(401, 403, 404)
  async show(
    @CurrentPrincipal() p: Principal,
    @Param('id', ALERT_ID) id: string,
  ): Promise<{ data: AlertResource }> {
    return { data: presentAlert(await this.alerts.get(p, id)) };
  }

  @Post(':id/acknowledge')
  @HttpCode(200)
  @RequirePermissions('alerts.manage')
  @ApiOperation({ summary: 'Acknowledge an open alert; records who and when; audited' })
  @ApiDataResponse(AlertResource)
  @ApiErrors(401, 403, 404, 422)
  async acknowledge(
    @CurrentPrincipal() p: Principal,
    @Param('id', ALERT_ID) id: string,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: AlertResource }> {
    return { data: presentAlert(await this.alerts.transition(p, id, 'acknowledged', meta)) };
  }

  @Post(':id/resolve')
  @HttpCode(200)
  @RequirePermissions('alerts.manage')
  @ApiOperation({ summary: 'Resolve an open or acknowledged alert; records who and when; audited' })
  @ApiDataResponse(AlertResource)
  @ApiErrors(401, 403, 404, 422)
  async resolve(
    @CurrentPrincipal() p: Principal,
    @Param('id', ALERT_ID) id: string,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: AlertResource }> {
    return { data: presentAlert(await this.alerts.transition(p, id, 'resolved', meta)) };
  }
}
