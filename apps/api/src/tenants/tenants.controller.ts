import {
  Body,
  Controller,
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
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { TENANT_SORTABLE } from '@pbx/database';
import type { FastifyRequest } from 'fastify';
import { DeniedAccessFilter } from '../audit/denied-access.filter';
import { CurrentPrincipal, Meta, RequirePermissions } from '../auth/guards/auth.decorators';
import type { Principal, RequestMeta } from '../auth/principal';
import { API_CONFIG, ApiConfig } from '../config/api-config';
import { parseListQuery } from '../http/list-query';
import { ApiErrors } from '../http/openapi';
import { ApiDataResponse, ApiListQuery, ApiPageResponse } from '../http/openapi-envelopes';
import { paginate, PaginatedEnvelope } from '../http/pagination';
import { CreateTenantDto, UpdateTenantDto } from './dto/tenant.dto';
import { presentTenant, TenantResource } from './tenant.presenter';
import { TenantsService } from './tenants.service';

/** A malformed id names no tenant, so it is a 404 like any other unknown id. */
const TENANT_ID = new ParseUUIDPipe({ exceptionFactory: () => new NotFoundException() });

const LIST_RULES = { sortable: TENANT_SORTABLE, filterable: ['status', 'name'], defaultSort: 'name' };

const ADMIN_META = {
  type: 'object',
  properties: {
    admin: { type: 'object', properties: { id: { type: 'string', format: 'uuid' }, email: { type: 'string' } } },
    admin_password: { type: 'string', description: 'Shown once; it is stored only as a bcrypt hash' },
  },
  description: 'Only when `admin` was given',
};

@ApiTags('tenants')
@ApiBearerAuth()
@UseFilters(DeniedAccessFilter)
@Controller('api/v1/tenants')
export class TenantsController {
  constructor(
    private readonly tenants: TenantsService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Get()
  @RequirePermissions('tenants.view')
  @ApiOperation({
    summary: 'List tenants: every tenant for platform admins, only your own for everyone else',
  })
  @ApiListQuery(
    `Comma-separated, - for descending: ${TENANT_SORTABLE.join(', ')}`,
    'filter[status], filter[name]',
  )
  @ApiPageResponse(TenantResource)
  @ApiErrors(401, 403, 422)
  async list(
    @CurrentPrincipal() p: Principal,
    @Query() query: Record<string, unknown>,
    @Req() req: FastifyRequest,
  ): Promise<PaginatedEnvelope<TenantResource>> {
    const q = parseListQuery(query, LIST_RULES);
    return paginate(await this.tenants.list(p, q), q, this.config.API_PUBLIC_URL, req.url, presentTenant);
  }

  @Post()
  @HttpCode(201)
  @RequirePermissions('tenants.manage')
  @ApiOperation({
    summary: 'Create a tenant (platform admins); with `admin`, also its first tenant admin, whose password is shown once',
  })
  @ApiDataResponse(TenantResource, { status: 201, meta: ADMIN_META })
  @ApiErrors(401, 403, 422)
  async create(
    @CurrentPrincipal() p: Principal,
    @Body() dto: CreateTenantDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: TenantResource; meta?: { admin: { id: string; email: string }; admin_password: string } }> {
    const { tenant, admin } = await this.tenants.create(p, dto, meta);
    const data = presentTenant(tenant);
    if (!admin) return { data };
    return { data, meta: { admin: { id: admin.user.id, email: admin.user.email }, admin_password: admin.password } };
  }

  @Get(':id')
  @RequirePermissions('tenants.view')
  @ApiOperation({ summary: 'Show a tenant: any for platform admins, only your own for everyone else' })
  @ApiDataResponse(TenantResource)
  @ApiErrors(401, 403, 404)
  async show(
    @CurrentPrincipal() p: Principal,
    @Param('id', TENANT_ID) id: string,
  ): Promise<{ data: TenantResource }> {
    return { data: presentTenant(await this.tenants.get(p, id)) };
  }

  @Patch(':id')
  @RequirePermissions('tenants.manage')
  @ApiOperation({ summary: "Update a tenant; suspending it ends its users' sessions and stops their logins" })
  @ApiDataResponse(TenantResource)
  @ApiErrors(401, 403, 404, 422)
  async update(
    @CurrentPrincipal() p: Principal,
    @Param('id', TENANT_ID) id: string,
    @Body() dto: UpdateTenantDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: TenantResource }> {
    return { data: presentTenant(await this.tenants.update(p, id, dto, meta)) };
  }

  @Put(':id')
  @RequirePermissions('tenants.manage')
  @ApiOperation({ summary: 'Same as PATCH: absent fields are left unchanged' })
  @ApiDataResponse(TenantResource)
  @ApiErrors(401, 403, 404, 422)
  replace(
    @CurrentPrincipal() p: Principal,
    @Param('id', TENANT_ID) id: string,
    @Body() dto: UpdateTenantDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: TenantResource }> {
    return this.update(p, id, dto, meta);
  }
}
