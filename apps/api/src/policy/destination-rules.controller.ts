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
import { ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DESTINATION_RULE_LIST } from '@pbx/database';
import type { FastifyRequest } from 'fastify';
import { DeniedAccessFilter } from '../audit/denied-access.filter';
import { CurrentPrincipal, Meta, RequirePermissions } from '../auth/guards/auth.decorators';
import type { Principal, RequestMeta } from '../auth/principal';
import { API_CONFIG, ApiConfig } from '../config/api-config';
import { parseListQuery } from '../http/list-query';
import { ApiErrors } from '../http/openapi';
import { ApiDataResponse, ApiListQuery, ApiPageResponse } from '../http/openapi-envelopes';
import { paginate, PaginatedEnvelope } from '../http/pagination';
import { CreateDestinationRuleDto, UpdateDestinationRuleDto } from './dto/rules.dto';
import { DestinationRuleResource, presentDestinationRule } from './policy.presenter';
import { PolicyRulesService } from './policy-rules.service';

const RULE_ID = new ParseUUIDPipe({ exceptionFactory: () => new NotFoundException() });
const LIST_RULES = { ...DESTINATION_RULE_LIST, defaultSort: 'created_at' };

@ApiTags('policy')
@ApiBearerAuth()
@UseFilters(DeniedAccessFilter)
@Controller('api/v1/policy/destination-rules')
export class DestinationRulesController {
  constructor(
    private readonly rules: PolicyRulesService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Get()
  @RequirePermissions('policy.view')
  @ApiOperation({ summary: 'List prefix and country allow/deny rules, tenant-wide and per device' })
  @ApiListQuery(
    `Comma-separated, - for descending: ${LIST_RULES.sortable.join(', ')}`,
    `${LIST_RULES.filterable.map((f) => `filter[${f}]`).join(', ')}; filter[scope] is tenant or device`,
  )
  @ApiPageResponse(DestinationRuleResource)
  @ApiErrors(401, 403, 422)
  async list(
    @CurrentPrincipal() p: Principal,
    @Query() query: Record<string, unknown>,
    @Req() req: FastifyRequest,
  ): Promise<PaginatedEnvelope<DestinationRuleResource>> {
    const q = parseListQuery(query, LIST_RULES);
    return paginate(
      await this.rules.listDestinationRules(p, q),
      q,
      this.config.API_PUBLIC_URL,
      req.url,
      presentDestinationRule,
    );
  }

  @Post()
  @HttpCode(201)
  @RequirePermissions('policy.manage')
  @ApiOperation({
    summary:
      'Add a rule. The longest matching prefix decides, a device rule beats a tenant rule of equal length; a country rule beats the risk-tier default',
  })
  @ApiDataResponse(DestinationRuleResource, { status: 201 })
  @ApiErrors(401, 403, 422)
  async create(
    @CurrentPrincipal() p: Principal,
    @Body() dto: CreateDestinationRuleDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: DestinationRuleResource }> {
    return { data: presentDestinationRule(await this.rules.createDestinationRule(p, dto, meta)) };
  }

  @Get(':id')
  @RequirePermissions('policy.view')
  @ApiOperation({ summary: 'Show a destination rule' })
  @ApiDataResponse(DestinationRuleResource)
  @ApiErrors(401, 403, 404)
  async show(
    @CurrentPrincipal() p: Principal,
    @Param('id', RULE_ID) id: string,
  ): Promise<{ data: DestinationRuleResource }> {
    return { data: presentDestinationRule(await this.rules.getDestinationRule(p, id)) };
  }

  @Patch(':id')
  @RequirePermissions('policy.manage')
  @ApiOperation({ summary: "Change a rule's prefix or country, action or note" })
  @ApiDataResponse(DestinationRuleResource)
  @ApiErrors(401, 403, 404, 422)
  async update(
    @CurrentPrincipal() p: Principal,
    @Param('id', RULE_ID) id: string,
    @Body() dto: UpdateDestinationRuleDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: DestinationRuleResource }> {
    return { data: presentDestinationRule(await this.rules.updateDestinationRule(p, id, dto, meta)) };
  }

  @Put(':id')
  @RequirePermissions('policy.manage')
  @ApiOperation({ summary: 'Same as PATCH: absent fields are left unchanged' })
  @ApiDataResponse(DestinationRuleResource)
  @ApiErrors(401, 403, 404, 422)
  replace(
    @CurrentPrincipal() p: Principal,
    @Param('id', RULE_ID) id: string,
    @Body() dto: UpdateDestinationRuleDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: DestinationRuleResource }> {
    return this.update(p, id, dto, meta);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('policy.manage')
  @ApiOperation({ summary: 'Delete a destination rule' })
  @ApiNoContentResponse()
  @ApiErrors(401, 403, 404)
  remove(
    @CurrentPrincipal() p: Principal,
    @Param('id', RULE_ID) id: string,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    return this.rules.deleteDestinationRule(p, id, meta);
  }
}
