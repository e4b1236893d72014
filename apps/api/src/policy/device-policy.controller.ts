import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Put,
  UseFilters,
} from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DeniedAccessFilter } from '../audit/denied-access.filter';
import { CurrentPrincipal, Meta, RequirePermissions } from '../auth/guards/auth.decorators';
import type { Principal, RequestMeta } from '../auth/principal';
import { ApiErrors } from '../http/openapi';
import { ApiDataResponse } from '../http/openapi-envelopes';
import { DevicePolicy, DevicePolicyService } from './device-policy.service';
import { DeviceOverrideDto, LockLevelDto } from './dto/policy.dto';
import { DevicePolicyResource, presentDevicePolicy } from './policy.presenter';

const DEVICE_ID = new ParseUUIDPipe({ exceptionFactory: () => new NotFoundException() });
const envelope = ({ device, override }: DevicePolicy) => ({ data: presentDevicePolicy(device, override) });

/** Lives with the policy feature; the route sits under the device it overrides. */
@ApiTags('policy')
@ApiBearerAuth()
@UseFilters(DeniedAccessFilter)
@Controller('api/v1/devices/:id')
export class DevicePolicyController {
  constructor(private readonly devices: DevicePolicyService) {}

  @Get('policy')
  @RequirePermissions('policy.view')
  @ApiOperation({
    summary: "A device's policy override and lock level; null fields inherit the tenant policy",
  })
  @ApiDataResponse(DevicePolicyResource)
  @ApiErrors(401, 403, 404)
  async show(
    @CurrentPrincipal() p: Principal,
    @Param('id', DEVICE_ID) id: string,
  ): Promise<{ data: DevicePolicyResource }> {
    return envelope(await this.devices.get(p, id));
  }

  @Put('policy')
  @RequirePermissions('policy.manage')
  @ApiOperation({ summary: "Replace a device's override: absent or null fields inherit the tenant policy" })
  @ApiDataResponse(DevicePolicyResource)
  @ApiErrors(401, 403, 404, 422)
  async replace(
    @CurrentPrincipal() p: Principal,
    @Param('id', DEVICE_ID) id: string,
    @Body() dto: DeviceOverrideDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: DevicePolicyResource }> {
    return envelope(await this.devices.replace(p, id, dto, meta));
  }

  @Delete('policy')
  @HttpCode(204)
  @RequirePermissions('policy.manage')
  @ApiOperation({ summary: "Remove a device's override; the tenant policy applies again" })
  @ApiNoContentResponse()
  @ApiErrors(401, 403, 404)
  remove(
    @CurrentPrincipal() p: Principal,
    @Param('id', DEVICE_ID) id: string,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    return this.devices.remove(p, id, meta);
  }

  @Put('lock-level')
  @RequirePermissions('policy.manage')
  @ApiOperation({
    summary:
      "Set a device's lock level; above 0 an active device becomes 'locked', back to 0 it is 'active' again",
    description:
      'At 1 (no international) and 2 (internal only) the device still registers and calls within its level; ' +
      'at 3 it may place emergency calls and nothing else, nor register (the level the registrar sets on a device whose password is being guessed).',
  })
  @ApiDataResponse(DevicePolicyResource)
  @ApiErrors(401, 403, 404, 422)
  async setLockLevel(
    @CurrentPrincipal() p: Principal,
    @Param('id', DEVICE_ID) id: string,
    @Body() dto: LockLevelDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: DevicePolicyResource }> {
    return envelope(await this.devices.setLock(p, id, dto, meta));
  }
}
