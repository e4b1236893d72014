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
import { EXTENSION_SORTABLE } from '@pbx/database';
import type { FastifyRequest } from 'fastify';
import { DeniedAccessFilter } from '../audit/denied-access.filter';
import { CurrentPrincipal, Meta, RequirePermissions } from '../auth/guards/auth.decorators';
import type { Principal, RequestMeta } from '../auth/principal';
import { API_CONFIG, ApiConfig } from '../config/api-config';
import { parseListQuery } from '../http/list-query';
import { ApiErrors } from '../http/openapi';
import { ApiDataResponse, ApiListQuery, ApiPageResponse } from '../http/openapi-envelopes';
import { paginate, PaginatedEnvelope } from '../http/pagination';
import { CreateExtensionDto, UpdateExtensionDto } from './dto/extension.dto';
import { ExtensionResource, presentExtension } from './extension.presenter';
import { ExtensionsService } from './extensions.service';
import { ENTITY_ID } from './telephony-validation';

const LIST_RULES = { sortable: EXTENSION_SORTABLE, filterable: ['number', 'user_id'], defaultSort: 'number' };

@ApiTags('extensions')
@ApiBearerAuth()
@UseFilters(DeniedAccessFilter)
@Controller('api/v1/extensions')
export class ExtensionsController {
  constructor(
    private readonly extensions: ExtensionsService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Get()
  @RequirePermissions('extensions.view')
  @ApiOperation({ summary: 'List the extensions of your tenant' })
  @ApiListQuery(
    `Comma-separated, - for descending: ${EXTENSION_SORTABLE.join(', ')}`,
    'filter[number] (prefix), filter[user_id]',
  )
  @ApiPageResponse(ExtensionResource)
  @ApiErrors(401, 403, 422)
  async list(
    @CurrentPrincipal() p: Principal,
    @Query() query: Record<string, unknown>,
    @Req() req: FastifyRequest,
  ): Promise<PaginatedEnvelope<ExtensionResource>> {
    const q = parseListQuery(query, LIST_RULES);
    return paginate(
      await this.extensions.list(p, q),
      q,
      this.config.API_PUBLIC_URL,
      req.url,
      presentExtension,
    );
  }

  @Post()
  @HttpCode(201)
  @RequirePermissions('extensions.manage')
  @ApiOperation({ summary: 'Create an extension (number unique in your tenant)' })
  @ApiDataResponse(ExtensionResource, { status: 201 })
  @ApiErrors(401, 403, 422)
  async create(
    @CurrentPrincipal() p: Principal,
    @Body() dto: CreateExtensionDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: ExtensionResource }> {
    return { data: presentExtension(await this.extensions.create(p, dto, meta)) };
  }

  @Get(':id')
  @RequirePermissions('extensions.view')
  @ApiOperation({ summary: 'Show an extension of your tenant' })
  @ApiDataResponse(ExtensionResource)
  @ApiErrors(401, 403, 404)
  async show(
    @CurrentPrincipal() p: Principal,
    @Param('id', ENTITY_ID) id: string,
  ): Promise<{ data: ExtensionResource }> {
    return { data: presentExtension(await this.extensions.get(p, id)) };
  }

  @Patch(':id')
  @RequirePermissions('extensions.manage')
  @ApiOperation({ summary: "Update an extension's number, name or user" })
  @ApiDataResponse(ExtensionResource)
  @ApiErrors(401, 403, 404, 422)
  async update(
    @CurrentPrincipal() p: Principal,
    @Param('id', ENTITY_ID) id: string,
    @Body() dto: UpdateExtensionDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: ExtensionResource }> {
    return { data: presentExtension(await this.extensions.update(p, id, dto, meta)) };
  }

  @Put(':id')
  @RequirePermissions('extensions.manage')
  @ApiOperation({ summary: 'Same as PATCH: absent fields are left unchanged' })
  @ApiDataResponse(ExtensionResource)
  @ApiErrors(401, 403, 404, 422)
  replace(
    @CurrentPrincipal() p: Principal,
    @Param('id', ENTITY_ID) id: string,
    @Body() dto: UpdateExtensionDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: ExtensionResource }> {
    return this.update(p, id, dto, meta);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('extensions.manage')
  @ApiOperation({ summary: 'Delete an extension; refused (422) while devices use it' })
  @ApiNoContentResponse()
  @ApiErrors(401, 403, 404, 422)
  delete(
    @CurrentPrincipal() p: Principal,
    @Param('id', ENTITY_ID) id: string,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    return this.extensions.delete(p, id, meta);
  }
}
