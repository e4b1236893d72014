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
import { TRUNK_SORTABLE } from '@pbx/database';
import type { FastifyRequest } from 'fastify';
import { DeniedAccessFilter } from '../audit/denied-access.filter';
import { CurrentPrincipal, Meta, RequirePermissions } from '../auth/guards/auth.decorators';
import type { Principal, RequestMeta } from '../auth/principal';
import { API_CONFIG, ApiConfig } from '../config/api-config';
import { parseListQuery } from '../http/list-query';
import { ApiErrors } from '../http/openapi';
import { ApiDataResponse, ApiListQuery, ApiPageResponse } from '../http/openapi-envelopes';
import { paginate, PaginatedEnvelope } from '../http/pagination';
import { CreateTrunkDto, UpdateTrunkDto } from './dto/trunk.dto';
import { TrunkResource, presentTrunk } from './trunk.presenter';
import { TrunksService } from './trunks.service';
import { ENTITY_ID } from '../extensions/telephony-validation';

const LIST_RULES = {
  sortable: TRUNK_SORTABLE,
  filterable: ['status', 'transport', 'name'],
  defaultSort: 'name',
};

@ApiTags('trunks')
@ApiBearerAuth()
@UseFilters(DeniedAccessFilter)
@Controller('api/v1/trunks')
export class TrunksController {
  constructor(
    private readonly trunks: TrunksService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Get()
  @RequirePermissions('trunks.view')
  @ApiOperation({ summary: 'List the trunks (carriers) of your tenant; auth passwords are never returned' })
  @ApiListQuery(
    `Comma-separated, - for descending: ${TRUNK_SORTABLE.join(', ')}`,
    'filter[status], filter[transport], filter[name]',
  )
  @ApiPageResponse(TrunkResource)
  @ApiErrors(401, 403, 422)
  async list(
    @CurrentPrincipal() p: Principal,
    @Query() query: Record<string, unknown>,
    @Req() req: FastifyRequest,
  ): Promise<PaginatedEnvelope<TrunkResource>> {
    const q = parseListQuery(query, LIST_RULES);
    return paginate(await this.trunks.list(p, q), q, this.config.API_PUBLIC_URL, req.url, presentTrunk);
  }

  @Post()
  @HttpCode(201)
  @RequirePermissions('trunks.manage')
  @ApiOperation({ summary: 'Create a trunk; auth_password is write-only and stored encrypted' })
  @ApiDataResponse(TrunkResource, { status: 201 })
  @ApiErrors(401, 403, 422)
  async create(
    @CurrentPrincipal() p: Principal,
    @Body() dto: CreateTrunkDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: TrunkResource }> {
    return { data: presentTrunk(await this.trunks.create(p, dto, meta)) };
  }

  @Get(':id')
  @RequirePermissions('trunks.view')
  @ApiOperation({ summary: 'Show a trunk of your tenant' })
  @ApiDataResponse(TrunkResource)
  @ApiErrors(401, 403, 404)
  async show(
    @CurrentPrincipal() p: Principal,
    @Param('id', ENTITY_ID) id: string,
  ): Promise<{ data: TrunkResource }> {
    return { data: presentTrunk(await this.trunks.get(p, id)) };
  }

  @Patch(':id')
  @RequirePermissions('trunks.manage')
  @ApiOperation({ summary: 'Update a trunk; send auth_password to replace it, null to clear it' })
  @ApiDataResponse(TrunkResource)
  @ApiErrors(401, 403, 404, 422)
  async update(
    @CurrentPrincipal() p: Principal,
    @Param('id', ENTITY_ID) id: string,
    @Body() dto: UpdateTrunkDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: TrunkResource }> {
    return { data: presentTrunk(await this.trunks.update(p, id, dto, meta)) };
  }

  @Put(':id')
  @RequirePermissions('trunks.manage')
  @ApiOperation({ summary: 'Same as PATCH: absent fields are left unchanged' })
  @ApiDataResponse(TrunkResource)
  @ApiErrors(401, 403, 404, 422)
  replace(
    @CurrentPrincipal() p: Principal,
    @Param('id', ENTITY_ID) id: string,
    @Body() dto: UpdateTrunkDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: TrunkResource }> {
    return this.update(p, id, dto, meta);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('trunks.manage')
  @ApiOperation({ summary: 'Delete a trunk; refused (422) while DIDs or outbound routes use it' })
  @ApiNoContentResponse()
  @ApiErrors(401, 403, 404, 422)
  delete(
    @CurrentPrincipal() p: Principal,
    @Param('id', ENTITY_ID) id: string,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    return this.trunks.delete(p, id, meta);
  }
}
