import {
  Body,
  Controller,
  Delete,
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
import { ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { BAN_SORTABLE } from '@pbx/database';
import type { FastifyRequest } from 'fastify';
import { DeniedAccessFilter } from '../audit/denied-access.filter';
import { CurrentPrincipal, Meta, RequirePermissions } from '../auth/guards/auth.decorators';
import type { Principal, RequestMeta } from '../auth/principal';
import { API_CONFIG, ApiConfig } from '../config/api-config';
import { parseListQuery } from '../http/list-query';
import { ApiErrors } from '../http/openapi';
import { ApiDataResponse, ApiListQuery, ApiPageResponse } from '../http/openapi-envelopes';
import { paginate, PaginatedEnvelope } from '../http/pagination';
import { BanResource, presentBan } from './ban.presenter';
import { BAN_FILTERABLE, BansService, parseBanFilters } from './bans.service';
import { CreateBanDto } from './dto/ban.dto';

const BAN_ID = new ParseUUIDPipe({ exceptionFactory: () => new NotFoundException() });

@ApiTags('bans')
@ApiBearerAuth()
@UseFilters(DeniedAccessFilter)
@Controller('api/v1/bans')
export class BansController {
  constructor(
    private readonly bans: BansService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Get()
  @RequirePermissions('bans.view')
  @ApiOperation({
    summary:
      "List source-IP bans: your tenant's, plus platform-wide ones for platform admins; active only by default",
  })
  @ApiListQuery(
    `Comma-separated, - for descending: ${BAN_SORTABLE.join(', ')}; default -created_at`,
    'filter[status] (active (default)|lifted|expired|all), filter[ip], filter[source], filter[scope] (tenant|platform)',
  )
  @ApiPageResponse(BanResource)
  @ApiErrors(401, 403, 422)
  async list(
    @CurrentPrincipal() p: Principal,
    @Query() query: Record<string, unknown>,
    @Req() req: FastifyRequest,
  ): Promise<PaginatedEnvelope<BanResource>> {
    const q = parseListQuery(query, {
      sortable: BAN_SORTABLE,
      filterable: BAN_FILTERABLE,
      defaultSort: '-created_at',
    });
    const page = await this.bans.list(p, parseBanFilters(q.filters), q);
    return paginate(page, q, this.config.API_PUBLIC_URL, req.url, presentBan);
  }

  @Post()
  @HttpCode(201)
  @RequirePermissions('bans.manage')
  @ApiOperation({
    summary: 'Ban a source IP for your tenant, or platform-wide (platform admins; dropped at the SIP edge)',
    description:
      'A tenant ban is enforced by the SIP app for your tenant only and is not put on the edge drop list, ' +
      'since that would cut the address off from every tenant. Audited.',
  })
  @ApiDataResponse(BanResource, { status: 201 })
  @ApiErrors(401, 403, 422)
  async create(
    @CurrentPrincipal() p: Principal,
    @Body() dto: CreateBanDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: BanResource }> {
    return { data: presentBan(await this.bans.create(p, dto, meta)) };
  }

  @Get(':id')
  @RequirePermissions('bans.view')
  @ApiOperation({ summary: 'Show a ban' })
  @ApiDataResponse(BanResource)
  @ApiErrors(401, 403, 404)
  async show(
    @CurrentPrincipal() p: Principal,
    @Param('id', BAN_ID) id: string,
  ): Promise<{ data: BanResource }> {
    return { data: presentBan(await this.bans.get(p, id)) };
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('bans.manage')
  @ApiOperation({
    summary:
      'Lift a ban; a platform ban leaves the edge drop list unless another active one covers the address',
  })
  @ApiNoContentResponse()
  @ApiErrors(401, 403, 404)
  lift(
    @CurrentPrincipal() p: Principal,
    @Param('id', BAN_ID) id: string,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    return this.bans.lift(p, id, meta);
  }
}
