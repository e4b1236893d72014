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
import {
  ApiBearerAuth,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { DEVICE_SORTABLE } from '@pbx/database';
import type { FastifyRequest } from 'fastify';
import { DeniedAccessFilter } from '../audit/denied-access.filter';
import { CurrentPrincipal, Meta, RequirePermissions } from '../auth/guards/auth.decorators';
import type { Principal, RequestMeta } from '../auth/principal';
import { API_CONFIG, ApiConfig } from '../config/api-config';
import { ENTITY_ID } from '../extensions/telephony-validation';
import { parseListQuery } from '../http/list-query';
import { ApiErrors } from '../http/openapi';
import { ApiDataResponse, ApiListQuery, ApiPageResponse } from '../http/openapi-envelopes';
import { paginate, PaginatedEnvelope } from '../http/pagination';
import { DeviceResource, presentDevice } from './device.presenter';
import { DevicesService, WithCredentials } from './devices.service';
import { CreateDeviceDto, DeviceCredentialsMeta, UpdateDeviceDto } from './dto/device.dto';

const LIST_RULES = {
  sortable: DEVICE_SORTABLE,
  filterable: ['extension_id', 'status', 'name', 'sip_username'],
  defaultSort: 'name',
};

const CREDENTIALS_META = { $ref: getSchemaPath(DeviceCredentialsMeta) };

type DeviceWithCredentials = { data: DeviceResource; meta: DeviceCredentialsMeta };

function reveal(r: WithCredentials): DeviceWithCredentials {
  return {
    data: presentDevice(r.device),
    meta: {
      sip_password: r.password,
      realm: r.realm,
      warning: 'shown once: store the password in the device now; it cannot be shown again, only rotated',
    },
  };
}

@ApiTags('devices')
@ApiExtraModels(DeviceCredentialsMeta)
@ApiBearerAuth()
@UseFilters(DeniedAccessFilter)
@Controller('api/v1/devices')
export class DevicesController {
  constructor(
    private readonly devices: DevicesService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Get()
  @RequirePermissions('devices.view')
  @ApiOperation({ summary: 'List the devices of your tenant (never their credentials)' })
  @ApiListQuery(
    `Comma-separated, - for descending: ${DEVICE_SORTABLE.join(', ')}`,
    'filter[extension_id], filter[status] (active, suspended, locked), filter[name], filter[sip_username]',
  )
  @ApiPageResponse(DeviceResource)
  @ApiErrors(401, 403, 422)
  async list(
    @CurrentPrincipal() p: Principal,
    @Query() query: Record<string, unknown>,
    @Req() req: FastifyRequest,
  ): Promise<PaginatedEnvelope<DeviceResource>> {
    const q = parseListQuery(query, LIST_RULES);
    return paginate(await this.devices.list(p, q), q, this.config.API_PUBLIC_URL, req.url, presentDevice);
  }

  @Post()
  @HttpCode(201)
  @RequirePermissions('devices.manage', 'devices.credentials')
  @ApiOperation({
    summary: 'Create a device; its SIP password is generated and returned once, in meta.sip_password',
  })
  @ApiDataResponse(DeviceResource, { status: 201, meta: CREDENTIALS_META })
  @ApiErrors(401, 403, 422)
  async create(
    @CurrentPrincipal() p: Principal,
    @Body() dto: CreateDeviceDto,
    @Meta() meta: RequestMeta,
  ): Promise<DeviceWithCredentials> {
    return reveal(await this.devices.create(p, dto, meta));
  }

  @Get(':id')
  @RequirePermissions('devices.view')
  @ApiOperation({ summary: 'Show a device of your tenant (never its credentials)' })
  @ApiDataResponse(DeviceResource)
  @ApiErrors(401, 403, 404)
  async show(
    @CurrentPrincipal() p: Principal,
    @Param('id', ENTITY_ID) id: string,
  ): Promise<{ data: DeviceResource }> {
    return { data: presentDevice(await this.devices.get(p, id)) };
  }

  @Patch(':id')
  @RequirePermissions('devices.manage')
  @ApiOperation({
    summary: 'Update a device; status may be active or suspended, a locked device stays locked',
  })
  @ApiDataResponse(DeviceResource)
  @ApiErrors(401, 403, 404, 422)
  async update(
    @CurrentPrincipal() p: Principal,
    @Param('id', ENTITY_ID) id: string,
    @Body() dto: UpdateDeviceDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: DeviceResource }> {
    return { data: presentDevice(await this.devices.update(p, id, dto, meta)) };
  }

  @Put(':id')
  @RequirePermissions('devices.manage')
  @ApiOperation({ summary: 'Same as PATCH: absent fields are left unchanged' })
  @ApiDataResponse(DeviceResource)
  @ApiErrors(401, 403, 404, 422)
  replace(
    @CurrentPrincipal() p: Principal,
    @Param('id', ENTITY_ID) id: string,
    @Body() dto: UpdateDeviceDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: DeviceResource }> {
    return this.update(p, id, dto, meta);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('devices.manage')
  @ApiOperation({ summary: 'Delete a device; its credentials stop working at once' })
  @ApiNoContentResponse()
  @ApiErrors(401, 403, 404)
  delete(
    @CurrentPrincipal() p: Principal,
    @Param('id', ENTITY_ID) id: string,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    return this.devices.delete(p, id, meta);
  }

  @Post(':id/credentials/rotate')
  @HttpCode(200)
  @RequirePermissions('devices.credentials')
  @ApiOperation({
    summary: 'Generate a new SIP password (returned once); the old one stops working immediately',
  })
  @ApiDataResponse(DeviceResource, { meta: CREDENTIALS_META })
  @ApiErrors(401, 403, 404)
  async rotate(
    @CurrentPrincipal() p: Principal,
    @Param('id', ENTITY_ID) id: string,
    @Meta() meta: RequestMeta,
  ): Promise<DeviceWithCredentials> {
    return reveal(await this.devices.rotateCredentials(p, id, meta));
  }
}
