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
import { SOURCE_RULE_LIST } from '@pbx/database';
import type { FastifyRequest } from 'fastify';
import { DeniedAccessFilter } from '../audit/denied-access.filter';
import { CurrentPrincipal, Meta, RequirePermissions } from '../auth/guards/auth.decorators';
import type { Principal, RequestMeta } from '../auth/principal';
import { API_CONFIG, ApiConfig } from '../config/api-config';
import { parseListQuery } from '../http/list-query';
import { ApiErrors } from '../http/openapi';
import { ApiDataResponse, ApiListQuery, ApiPageResponse } from '../http/openapi-envelopes';
import { paginate, PaginatedEnvelope } from '../http/pagination';
import { CreateSourceRuleDto, UpdateSourceRuleDto } from './dto/rules.dto';
import { SourceRuleResource, presentSourceRule } from './policy.presenter';
import { PolicyRulesService } from './policy-rules.service';

const RULE_ID = new ParseUUIDPipe({ exceptionFactory: () => new NotFoundException() });
const LIST_RULES = { ...SOURCE_RULE_LIST, defaultSort: 'created_at' };

@ApiTags('policy')
@ApiBearerAuth()
@UseFilters(DeniedAccessFilter)
@Controller('api/v1/policy/source-rules')
export class SourceRulesController {
  constructor(
    private readonly rules: PolicyRulesService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Get()
  @RequirePermissions('policy.view')
  @ApiOperation({
    summary:
      'List IP allow-lists (CIDR) and geo-blocks (source country allow/deny), tenant-wide and per device',
  })
  @ApiListQuery(
    `Comma-separated, - for descending: ${LIST_RULES.sortable.join(', ')}`,
    `${LIST_RULES.filterable.map((f) => `filter[${f}]`).join(', ')}; filter[scope] is tenant or device`,
  )
  @ApiPageResponse(SourceRuleResource)
  @ApiErrors(401, 403, 422)
  async list(
    @CurrentPrincipal() p: Principal,
    @Query() query: Record<string, unknown>,
    @Req() req: FastifyRequest,
  ): Promise<PaginatedEnvelope<SourceRuleResource>> {
    const q = parseListQuery(query, LIST_RULES);
    return paginate(
      await this.rules.listSourceRules(p, q),
      q,
      this.config.API_PUBLIC_URL,
      req.url,
      presentSourceRule,
    );
  }

  @Post()
  @HttpCode(201)
  @RequirePermissions('policy.manage')
  @ApiOperation({
    summary:
      'Add a source rule: cidr_allow (calls must come from a listed network), country_allow / country_deny (geolocated source IP)',
    description:
      'A source IP with no known country (private, loopback, unlisted) matches no country_deny rule and fails every country_allow rule. A device rule of a kind replaces the tenant rules of that kind for the device.',
  })
  @ApiDataResponse(SourceRuleResource, { status: 201 })
  @ApiErrors(401, 403, 422)
  async create(
    @CurrentPrincipal() p: Principal,
    @Body() dto: CreateSourceRuleDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: SourceRuleResource }> {
    return { data: presentSourceRule(await this.rules.createSourceRule(p, dto, meta)) };
  }

  @Get(':id')
  @RequirePermissions('policy.view')
  @ApiOperation({ summary: 'Show a source rule' })
  @ApiDataResponse(SourceRuleResource)
  @ApiErrors(401, 403, 404)
  async show(
    @CurrentPrincipal() p: Principal,
    @Param('id', RULE_ID) id: string,
  ): Promise<{ data: SourceRuleResource }> {
    return { data: presentSourceRule(await this.rules.getSourceRule(p, id)) };
  }

  @Patch(':id')
  @RequirePermissions('policy.manage')
  @ApiOperation({ summary: "Change a source rule's value, applies_to or note" })
  @ApiDataResponse(SourceRuleResource)
  @ApiErrors(401, 403, 404, 422)
  async update(
    @CurrentPrincipal() p: Principal,
    @Param('id', RULE_ID) id: string,
    @Body() dto: UpdateSourceRuleDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: SourceRuleResource }> {
    return { data: presentSourceRule(await this.rules.updateSourceRule(p, id, dto, meta)) };
  }

  @Put(':id')
  @RequirePermissions('policy.manage')
  @ApiOperation({ summary: 'Same as PATCH: absent fields are left unchanged' })
  @ApiDataResponse(SourceRuleResource)
  @ApiErrors(401, 403, 404, 422)
  replace(
    @CurrentPrincipal() p: Principal,
    @Param('id', RULE_ID) id: string,
    @Body() dto: UpdateSourceRuleDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: SourceRuleResource }> {
    return this.update(p, id, dto, meta);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('policy.manage')
  @ApiOperation({ summary: 'Delete a source rule' })
  @ApiNoContentResponse()
  @ApiErrors(401, 403, 404)
  remove(
    @CurrentPrincipal() p: Principal,
    @Param('id', RULE_ID) id: string,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    return this.rules.deleteSourceRule(p, id, meta);
  }
}
