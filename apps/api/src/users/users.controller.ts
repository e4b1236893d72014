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
import { USER_SORTABLE, UserEntity } from '@pbx/database';
import type { FastifyRequest } from 'fastify';
import { DeniedAccessFilter } from '../audit/denied-access.filter';
import { CurrentPrincipal, Meta, RequirePermissions } from '../auth/guards/auth.decorators';
import type { Principal, RequestMeta } from '../auth/principal';
import { API_CONFIG, ApiConfig } from '../config/api-config';
import { parseListQuery } from '../http/list-query';
import { ApiErrors } from '../http/openapi';
import { ApiDataResponse, ApiListQuery, ApiPageResponse } from '../http/openapi-envelopes';
import { paginate, PaginatedEnvelope } from '../http/pagination';
import { CreateUserDto, GeneratedPasswordMeta, ResetPasswordDto, UpdateUserDto } from './dto/user.dto';
import { presentUser, UserResource } from './user.presenter';
import { UsersService, WithGeneratedPassword } from './users.service';

/** A malformed id names no user, so it is a 404 like any other unknown id. */
const USER_ID = new ParseUUIDPipe({ exceptionFactory: () => new NotFoundException() });

const LIST_RULES = {
  sortable: USER_SORTABLE,
  filterable: ['status', 'email', 'name', 'role'],
  defaultSort: 'name',
};

const GENERATED_META = {
  type: 'object',
  properties: { generated_password: { type: 'string' } },
  description: 'Only when the server generated the password',
};

type UserEnvelope = { data: UserResource; meta?: GeneratedPasswordMeta };

function withPassword(r: WithGeneratedPassword<UserEntity>): UserEnvelope {
  const out: UserEnvelope = { data: presentUser(r.user) };
  if (r.generatedPassword !== null) out.meta = { generated_password: r.generatedPassword };
  return out;
}

@ApiTags('users')
@ApiBearerAuth()
@UseFilters(DeniedAccessFilter)
@Controller('api/v1/users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Get()
  @RequirePermissions('users.view')
  @ApiOperation({ summary: 'List the users of your tenant' })
  @ApiListQuery(
    `Comma-separated, - for descending: ${USER_SORTABLE.join(', ')}`,
    'filter[status], filter[email], filter[name], filter[role]',
  )
  @ApiPageResponse(UserResource)
  @ApiErrors(401, 403, 422)
  async list(
    @CurrentPrincipal() p: Principal,
    @Query() query: Record<string, unknown>,
    @Req() req: FastifyRequest,
  ): Promise<PaginatedEnvelope<UserResource>> {
    const q = parseListQuery(query, LIST_RULES);
    return paginate(await this.users.list(p, q), q, this.config.API_PUBLIC_URL, req.url, presentUser);
  }

  @Post()
  @HttpCode(201)
  @RequirePermissions('users.create')
  @ApiOperation({
    summary: 'Create a user in your tenant; without a password, one is generated and shown once',
  })
  @ApiDataResponse(UserResource, { status: 201, meta: GENERATED_META })
  @ApiErrors(401, 403, 422)
  async create(
    @CurrentPrincipal() p: Principal,
    @Body() dto: CreateUserDto,
    @Meta() meta: RequestMeta,
  ): Promise<UserEnvelope> {
    return withPassword(await this.users.create(p, dto, meta));
  }

  @Get(':id')
  @RequirePermissions('users.view')
  @ApiOperation({ summary: 'Show a user of your tenant' })
  @ApiDataResponse(UserResource)
  @ApiErrors(401, 403, 404)
  async show(
    @CurrentPrincipal() p: Principal,
    @Param('id', USER_ID) id: string,
  ): Promise<{ data: UserResource }> {
    return { data: presentUser(await this.users.get(p, id)) };
  }

  @Patch(':id')
  @RequirePermissions('users.update')
  @ApiOperation({
    summary: "Update a user's name, email or roles; an email or role change ends their sessions",
  })
  @ApiDataResponse(UserResource)
  @ApiErrors(401, 403, 404, 422)
  async update(
    @CurrentPrincipal() p: Principal,
    @Param('id', USER_ID) id: string,
    @Body() dto: UpdateUserDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: UserResource }> {
    return { data: presentUser(await this.users.update(p, id, dto, meta)) };
  }

  @Put(':id')
  @RequirePermissions('users.update')
  @ApiOperation({ summary: 'Same as PATCH: absent fields are left unchanged' })
  @ApiDataResponse(UserResource)
  @ApiErrors(401, 403, 404, 422)
  replace(
    @CurrentPrincipal() p: Principal,
    @Param('id', USER_ID) id: string,
    @Body() dto: UpdateUserDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: UserResource }> {
    return this.update(p, id, dto, meta);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('users.deactivate')
  @ApiOperation({ summary: 'Deactivate a user: they can no longer log in and their sessions end' })
  @ApiNoContentResponse()
  @ApiErrors(401, 403, 404, 422)
  deactivate(
    @CurrentPrincipal() p: Principal,
    @Param('id', USER_ID) id: string,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    return this.users.deactivate(p, id, meta);
  }

  @Post(':id/reset-password')
  @HttpCode(200)
  @RequirePermissions('users.reset_password')
  @ApiOperation({ summary: "Set a user's password (or generate one, shown once) and end their sessions" })
  @ApiDataResponse(UserResource, { meta: GENERATED_META })
  @ApiErrors(401, 403, 404, 422)
  async resetPassword(
    @CurrentPrincipal() p: Principal,
    @Param('id', USER_ID) id: string,
    @Body() dto: ResetPasswordDto,
    @Meta() meta: RequestMeta,
  ): Promise<UserEnvelope> {
    return withPassword(await this.users.resetPassword(p, id, dto.password, meta));
  }
}
