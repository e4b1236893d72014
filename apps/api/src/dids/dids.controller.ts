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
import { DID_SORTABLE } from '@pbx/database';
import type { FastifyRequest } from 'fastify';
import { DeniedAccessFilter } from '../audit/denied-access.filter';
import { CurrentPrincipal, Meta, RequirePermissions } from '../auth/guards/auth.decorators';
import type { Principal, RequestMeta } from '../auth/principal';
import { API_CONFIG, ApiConfig } from '../config/api-config';
import { parseListQuery } from '../http/list-query';
import { ApiErrors } from '../http/openapi';
import { ApiDataResponse, ApiListQuery, ApiPageResponse } from '../http/openapi-envelopes';
import { paginate, PaginatedEnvelope } from '../http/pagination';
import { CreateDidDto, UpdateDidDto } from './dto/did.dto';
import { DidResource, presentDid } from './did.presenter';
import { DidsService } from './dids.service';
import { ENTITY_ID } from '../extensions/telephony-validation';

const LIST_RULES = {
  sortable: DID_SORTABLE,
  filterable: ['trunk_id', 'extension_id', 'number'],
  defaultSort: 'number',
};

@ApiTags('dids')
@ApiBearerAuth()
@UseFilters(DeniedAccessFilter)
@Controller('api/v1/dids')
export class DidsController {
  constructor(
    private readonly dids: DidsService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Get()
  @RequirePermissions('trunks.view')
  @ApiOperation({ summary: 'List the inbound numbers (DIDs) of your tenant' })
  @ApiListQuery(
    `Comma-separated, - for descending: ${DID_SORTABLE.join(', ')}`,
    'filter[trunk_id], filter[extension_id], filter[number] (E.164 prefix)',
  )
  @ApiPageResponse(DidResource)
  @ApiErrors(401, 403, 422)
  async list(
    @CurrentPrincipal() p: Principal,
    @Query() query: Record<string, unknown>,
    @Req() req: FastifyRequest,
  ): Promise<PaginatedEnvelope<DidResource>> {
    const q = parseListQuery(query, LIST_RULES);
    return paginate(await this.dids.list(p, q), q, this.config.API_PUBLIC_URL, req.url, presentDid);
  }

  @Post()
  @HttpCode(201)
  @RequirePermissions('trunks.manage')
  @ApiOperation({
    summary:
      "Add a DID; the number is normalised to E.164 in your tenant's default country and must be unused platform-wide",
  })
  @ApiDataResponse(DidResource, { status: 201 })
  @ApiErrors(401, 403, 422)
  async create(
    @CurrentPrincipal() p: Principal,
    @Body() dto: CreateDidDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: DidResource }> {
    return { data: presentDid(await this.dids.create(p, dto, meta)) };
  }

  @Get(':id')
  @RequirePermissions('trunks.view')
  @ApiOperation({ summary: 'Show a DID of your tenant' })
  @ApiDataResponse(DidResource)
  @ApiErrors(401, 403, 404)
  async show(
    @CurrentPrincipal() p: Principal,
    @Param('id', ENTITY_ID) id: string,
  ): Promise<{ data: DidResource }> {
    return { data: presentDid(await this.dids.get(p, id)) };
  }

  @Patch(':id')
  @RequirePermissions('trunks.manage')
  @ApiOperation({ summary: "Update a DID's number, trunk or extension" })
  @ApiDataResponse(DidResource)
  @ApiErrors(401, 403, 404, 422)
  async update(
    @CurrentPrincipal() p: Principal,
    @Param('id', ENTITY_ID) id: string,
    @Body() dto: UpdateDidDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: DidResource }> {
    return { data: presentDid(await this.dids.update(p, id, dto, meta)) };
  }

  @Put(':id')
  @RequirePermissions('trunks.manage')
  @ApiOperation({ summary: 'Same as PATCH: absent fields are left unchanged' })
  @ApiDataResponse(DidResource)
  @ApiErrors(401, 403, 404, 422)
  replace(
    @CurrentPrincipal() p: Principal,
    @Param('id', ENTITY_ID) id: string,
    @Body() dto: UpdateDidDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: DidResource }> {
    return this.update(p, id, dto, meta);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('trunks.manage')
  @ApiOperation({ summary: 'Delete a DID' })
  @ApiNoContentResponse()
  @ApiErrors(401, 403, 404)
  delete(
    @CurrentPrincipal() p: Principal,
    @Param('id', ENTITY_ID) id: string,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    return this.dids.delete(p, id, meta);
  }
}
