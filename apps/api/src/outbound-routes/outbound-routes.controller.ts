import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
  UseFilters,
} from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OUTBOUND_ROUTE_SORTABLE } from '@pbx/database';
import type { FastifyRequest } from 'fastify';
import { DeniedAccessFilter } from '../audit/denied-access.filter';
import { CurrentPrincipal, Meta, RequirePermissions } from '../auth/guards/auth.decorators';
import type { Principal, RequestMeta } from '../auth/principal';
import { API_CONFIG, ApiConfig } from '../config/api-config';
import { parseListQuery } from '../http/list-query';
import { ApiErrors } from '../http/openapi';
import { ApiDataResponse, ApiListQuery, ApiPageResponse } from '../http/openapi-envelopes';
import { paginate, PaginatedEnvelope } from '../http/pagination';
import { CreateOutboundRouteDto, ResolveRouteDto, UpdateOutboundRouteDto } from './dto/outbound-route.dto';
import {
  OutboundRouteResource,
  presentOutboundRoute,
  RouteResolutionResource,
} from './outbound-route.presenter';
import { OutboundRoutesService } from './outbound-routes.service';
import { ENTITY_ID } from '../extensions/telephony-validation';

const LIST_RULES = {
  sortable: OUTBOUND_ROUTE_SORTABLE,
  filterable: ['trunk_id', 'name'],
  defaultSort: 'priority,name',
};

@ApiTags('outbound-routes')
@ApiBearerAuth()
@UseFilters(DeniedAccessFilter)
@Controller('api/v1/outbound-routes')
export class OutboundRoutesController {
  constructor(
    private readonly routes: OutboundRoutesService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Get()
  @RequirePermissions('trunks.view')
  @ApiOperation({ summary: 'List the outbound routes of your tenant' })
  @ApiListQuery(
    `Comma-separated, - for descending: ${OUTBOUND_ROUTE_SORTABLE.join(', ')}`,
    'filter[trunk_id], filter[name]',
  )
  @ApiPageResponse(OutboundRouteResource)
  @ApiErrors(401, 403, 422)
  async list(
    @CurrentPrincipal() p: Principal,
    @Query() query: Record<string, unknown>,
    @Req() req: FastifyRequest,
  ): Promise<PaginatedEnvelope<OutboundRouteResource>> {
    const q = parseListQuery(query, LIST_RULES);
    return paginate(
      await this.routes.list(p, q),
      q,
      this.config.API_PUBLIC_URL,
      req.url,
      presentOutboundRoute,
    );
  }

  @Post()
  @HttpCode(201)
  @RequirePermissions('trunks.manage')
  @ApiOperation({
    summary: 'Create an outbound route: destinations starting with prefix go out over trunk_id',
  })
  @ApiDataResponse(OutboundRouteResource, { status: 201 })
  @ApiErrors(401, 403, 422)
  async create(
    @CurrentPrincipal() p: Principal,
    @Body() dto: CreateOutboundRouteDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: OutboundRouteResource }> {
    return { data: presentOutboundRoute(await this.routes.create(p, dto, meta)) };
  }

  @Post('resolve')
  @HttpCode(200)
  @RequirePermissions('trunks.view')
  @ApiOperation({
    summary:
      "Normalise a dialled number in your tenant's default country and list the trunks that would carry it, best first",
  })
  @ApiDataResponse(RouteResolutionResource)
  @ApiErrors(401, 403, 422)
  async resolve(
    @CurrentPrincipal() p: Principal,
    @Body() dto: ResolveRouteDto,
  ): Promise<{ data: RouteResolutionResource }> {
    return { data: await this.routes.resolve(p, dto.number) };
  }

  @Get(':id')
  @RequirePermissions('trunks.view')
  @ApiOperation({ summary: 'Show an outbound route of your tenant' })
  @ApiDataResponse(OutboundRouteResource)
  @ApiErrors(401, 403, 404)
  async show(
    @CurrentPrincipal() p: Principal,
    @Param('id', ENTITY_ID) id: string,
  ): Promise<{ data: OutboundRouteResource }> {
    return { data: presentOutboundRoute(await this.routes.get(p, id)) };
  }

  @Patch(':id')
  @RequirePermissions('trunks.manage')
  @ApiOperation({ summary: "Update an outbound route's name, prefix, priority or trunk" })
  @ApiDataResponse(OutboundRouteResource)
  @ApiErrors(401, 403, 404, 422)
  async update(
    @CurrentPrincipal() p: Principal,
    @Param('id', ENTITY_ID) id: string,
    @Body() dto: UpdateOutboundRouteDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: OutboundRouteResource }> {
    return { data: presentOutboundRoute(await this.routes.update(p, id, dto, meta)) };
  }

  @Put(':id')
  @RequirePermissions('trunks.manage')
  @ApiOperation({ summary: 'Same as PATCH: absent fields are left unchanged' })
  @ApiDataResponse(OutboundRouteResource)
  @ApiErrors(401, 403, 404, 422)
  replace(
    @CurrentPrincipal() p: Principal,
    @Param('id', ENTITY_ID) id: string,
    @Body() dto: UpdateOutboundRouteDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: OutboundRouteResource }> {
    return this.update(p, id, dto, meta);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('trunks.manage')
  @ApiOperation({ summary: 'Delete an outbound route' })
  @ApiNoContentResponse()
  @ApiErrors(401, 403, 404)
  delete(
    @CurrentPrincipal() p: Principal,
    @Param('id', ENTITY_ID) id: string,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    return this.routes.delete(p, id, meta);
  }
}
