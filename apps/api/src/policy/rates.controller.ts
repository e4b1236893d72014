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
  Patch,
  Post,
  Put,
  Query,
  Req,
  UseFilters,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { RATE_LIST } from '@pbx/database';
import type { FastifyRequest } from 'fastify';
import { DeniedAccessFilter } from '../audit/denied-access.filter';
import { CurrentPrincipal, Meta, RequirePermissions } from '../auth/guards/auth.decorators';
import type { Principal, RequestMeta } from '../auth/principal';
import { API_CONFIG, ApiConfig } from '../config/api-config';
import { parseListQuery } from '../http/list-query';
import { ApiErrors } from '../http/openapi';
import { ApiDataResponse, ApiListQuery, ApiPageResponse } from '../http/openapi-envelopes';
import { paginate, PaginatedEnvelope } from '../http/pagination';
import { CreateRateDto, UpdateRateDto } from './dto/rules.dto';
import { presentRate, RateResource } from './policy.presenter';
import { ImportResult, RatesService } from './rates.service';

const RATE_ID = new ParseUUIDPipe({ exceptionFactory: () => new NotFoundException() });
const LIST_RULES = { ...RATE_LIST, defaultSort: 'prefix' };

@ApiTags('policy')
@ApiBearerAuth()
@UseFilters(DeniedAccessFilter)
@Controller('api/v1/policy/rates')
export class RatesController {
  constructor(
    private readonly rates: RatesService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Get()
  @RequirePermissions('policy.view')
  @ApiOperation({ summary: 'List per-prefix rates (longest prefix prices a call)' })
  @ApiListQuery(
    `Comma-separated, - for descending: ${LIST_RULES.sortable.join(', ')}`,
    'filter[prefix] (exact, with +)',
  )
  @ApiPageResponse(RateResource)
  @ApiErrors(401, 403, 422)
  async list(
    @CurrentPrincipal() p: Principal,
    @Query() query: Record<string, unknown>,
    @Req() req: FastifyRequest,
  ): Promise<PaginatedEnvelope<RateResource>> {
    const q = parseListQuery(query, LIST_RULES);
    return paginate(await this.rates.list(p, q), q, this.config.API_PUBLIC_URL, req.url, presentRate);
  }

  @Post()
  @HttpCode(201)
  @RequirePermissions('policy.manage')
  @ApiOperation({ summary: 'Add a rate for a prefix' })
  @ApiDataResponse(RateResource, { status: 201 })
  @ApiErrors(401, 403, 422)
  async create(
    @CurrentPrincipal() p: Principal,
    @Body() dto: CreateRateDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: RateResource }> {
    return { data: presentRate(await this.rates.create(p, dto, meta)) };
  }

  @Post('import')
  @HttpCode(200)
  @RequirePermissions('policy.manage')
  @ApiOperation({
    summary: 'Upsert rates from CSV lines `prefix,per_minute,first_increment_seconds,connection_fee`',
    description:
      'The last two columns are optional (60, 0); a header line, blank lines and # comments are skipped. All or nothing: errors are keyed line.<n>.',
  })
  @ApiConsumes('text/csv', 'text/plain')
  @ApiBody({
    schema: {
      type: 'string',
      example: 'prefix,per_minute,first_increment_seconds,connection_fee\n+44,0.01,60,0\n+447,0.05,1,0',
    },
  })
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: {
        data: {
          type: 'object',
          properties: {
            created: { type: 'integer' },
            updated: { type: 'integer' },
            total: { type: 'integer' },
          },
        },
      },
    },
  })
  @ApiErrors(401, 403, 422)
  async import(
    @CurrentPrincipal() p: Principal,
    @Body() body: unknown,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: ImportResult }> {
    return { data: await this.rates.import(p, body, meta) };
  }

  @Get(':id')
  @RequirePermissions('policy.view')
  @ApiOperation({ summary: 'Show a rate' })
  @ApiDataResponse(RateResource)
  @ApiErrors(401, 403, 404)
  async show(
    @CurrentPrincipal() p: Principal,
    @Param('id', RATE_ID) id: string,
  ): Promise<{ data: RateResource }> {
    return { data: presentRate(await this.rates.get(p, id)) };
  }

  @Patch(':id')
  @RequirePermissions('policy.manage')
  @ApiOperation({ summary: 'Change a rate; the prefix is fixed (delete and create instead)' })
  @ApiDataResponse(RateResource)
  @ApiErrors(401, 403, 404, 422)
  async update(
    @CurrentPrincipal() p: Principal,
    @Param('id', RATE_ID) id: string,
    @Body() dto: UpdateRateDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: RateResource }> {
    return { data: presentRate(await this.rates.update(p, id, dto, meta)) };
  }

  @Put(':id')
  @RequirePermissions('policy.manage')
  @ApiOperation({ summary: 'Same as PATCH: absent fields are left unchanged' })
  @ApiDataResponse(RateResource)
  @ApiErrors(401, 403, 404, 422)
  replace(
    @CurrentPrincipal() p: Principal,
    @Param('id', RATE_ID) id: string,
    @Body() dto: UpdateRateDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: RateResource }> {
    return this.update(p, id, dto, meta);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('policy.manage')
  @ApiOperation({ summary: 'Delete a rate' })
  @ApiNoContentResponse()
  @ApiErrors(401, 403, 404)
  remove(
    @CurrentPrincipal() p: Principal,
    @Param('id', RATE_ID) id: string,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    return this.rates.remove(p, id, meta);
  }
}
