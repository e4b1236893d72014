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
import { NUMBER_SORTABLE } from '@pbx/database';
import type { FastifyRequest } from 'fastify';
import { DeniedAccessFilter } from '../audit/denied-access.filter';
import { CurrentPrincipal, Meta, RequirePermissions } from '../auth/guards/auth.decorators';
import type { Principal, RequestMeta } from '../auth/principal';
import { API_CONFIG, ApiConfig } from '../config/api-config';
import { parseListQuery } from '../http/list-query';
import { ApiErrors } from '../http/openapi';
import { ApiDataResponse, ApiListQuery, ApiPageResponse } from '../http/openapi-envelopes';
import { paginate, PaginatedEnvelope } from '../http/pagination';
import { AssignNumberDto } from './dto/number.dto';
import { NumberAssignmentResource, presentNumber } from './number.presenter';
import { NumbersService } from './numbers.service';

const TENANT_ID = new ParseUUIDPipe({ exceptionFactory: () => new NotFoundException() });
const LIST_RULES = { sortable: NUMBER_SORTABLE, filterable: ['number'], defaultSort: 'number' };

@ApiTags('numbers')
@ApiBearerAuth()
@UseFilters(DeniedAccessFilter)
@Controller('api/v1/tenants/:tenantId/numbers')
export class NumbersController {
  constructor(
    private readonly numbers: NumbersService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Get()
  @RequirePermissions('trunks.view')
  @ApiOperation({ summary: "List the public numbers assigned to a tenant (your own, or any for platform admins)" })
  @ApiListQuery(`Comma-separated, - for descending: ${NUMBER_SORTABLE.join(', ')}`, 'filter[number] (E.164 prefix)')
  @ApiPageResponse(NumberAssignmentResource)
  @ApiErrors(401, 403, 404, 422)
  async list(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId', TENANT_ID) tenantId: string,
    @Query() query: Record<string, unknown>,
    @Req() req: FastifyRequest,
  ): Promise<PaginatedEnvelope<NumberAssignmentResource>> {
    const q = parseListQuery(query, LIST_RULES);
    return paginate(await this.numbers.list(p, tenantId, q), q, this.config.API_PUBLIC_URL, req.url, presentNumber);
  }

  @Post()
  @HttpCode(201)
  @RequirePermissions('numbers.assign')
  @ApiOperation({ summary: "Assign a public number to a tenant (platform admins); its DIDs can then use it" })
  @ApiDataResponse(NumberAssignmentResource, { status: 201 })
  @ApiErrors(401, 403, 404, 422)
  async assign(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId', TENANT_ID) tenantId: string,
    @Body() dto: AssignNumberDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: NumberAssignmentResource }> {
    return { data: presentNumber(await this.numbers.assign(p, tenantId, dto.number, meta)) };
  }

  @Delete(':number')
  @HttpCode(204)
  @RequirePermissions('numbers.assign')
  @ApiOperation({ summary: 'Release a number from a tenant (platform admins); refused while a DID uses it' })
  @ApiNoContentResponse()
  @ApiErrors(401, 403, 404, 422)
  async release(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId', TENANT_ID) tenantId: string,
    @Param('number') number: string,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    await this.numbers.release(p, tenantId, number, meta);
  }
}
