import { isUuid } from '@pbx/common';
import {
  Controller,
  Delete,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  PipeTransform,
  Query,
  UseFilters,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { DeniedAccessFilter } from '../audit/denied-access.filter';
import { CurrentPrincipal, Meta, RequirePermissions } from '../auth/guards/auth.decorators';
import type { Principal, RequestMeta } from '../auth/principal';
import { parseListQuery } from '../http/list-query';
import { ApiErrors } from '../http/openapi';
import { ApiDataResponse } from '../http/openapi-envelopes';
import { unprocessable } from '../http/validation';
import {
  ApiCollectionResponse,
  HangupResource,
  LiveCallResource,
  LiveRegistrationResource,
} from './live.presenter';
import { LiveService } from './live.service';


/** A Call-ID is any token (RFC 3261 §8.1.1.4) but never empty or huge; anything else names no call. */
const CALL_ID: PipeTransform<string, string> = {
  transform: (v: string) => {
    if (typeof v !== 'string' || v.length === 0 || v.length > 512) throw new NotFoundException();
    return v;
  },
};

function deviceFilter(query: Record<string, unknown>): string | undefined {
  const q = parseListQuery(query, { sortable: [], filterable: ['device_id'] });
  const id = q.filters.device_id;
  if (id !== undefined && !isUuid(id))
    throw unprocessable({ 'filter.device_id': ['The filter device_id must be a valid UUID.'] });
  return id?.toLowerCase();
}

const DEVICE_FILTER = {
  name: 'filter[device_id]',
  required: false,
  description: 'Only this device (of your tenant)',
  schema: { type: 'string', format: 'uuid' },
} as const;

@ApiTags('live')
@ApiBearerAuth()
@UseFilters(DeniedAccessFilter)
@Controller('api/v1/live')
export class LiveController {
  constructor(private readonly live: LiveService) {}

  @Get('registrations')
  @RequirePermissions('live.view')
  @ApiOperation({ summary: "Current SIP registrations of your tenant's devices (expired bindings left out)" })
  @ApiQuery(DEVICE_FILTER)
  @ApiCollectionResponse(LiveRegistrationResource)
  @ApiErrors(401, 403, 422)
  async registrations(
    @CurrentPrincipal() p: Principal,
    @Query() query: Record<string, unknown>,
  ): Promise<{ data: LiveRegistrationResource[] }> {
    return { data: await this.live.registrations(p, deviceFilter(query)) };
  }

  @Get('calls')
  @RequirePermissions('live.view')
  @ApiOperation({ summary: "Your tenant's calls in progress; numbers masked without cdrs.view_numbers" })
  @ApiQuery(DEVICE_FILTER)
  @ApiCollectionResponse(LiveCallResource)
  @ApiErrors(401, 403, 422)
  async calls(
    @CurrentPrincipal() p: Principal,
    @Query() query: Record<string, unknown>,
  ): Promise<{ data: LiveCallResource[] }> {
    return { data: await this.live.calls(p, deviceFilter(query)) };
  }

  @Delete('calls/:callId')
  @HttpCode(202)
  @RequirePermissions('live.hangup')
  @ApiOperation({
    summary: 'Ask the SIP app to hang up a call in progress (asynchronous); audited',
  })
  @ApiParam({ name: 'callId', description: 'SIP Call-ID, URL-encoded' })
  @ApiDataResponse(HangupResource, { status: 202, description: 'Accepted: the SIP app was asked to hang up' })
  @ApiErrors(401, 403, 404)
  async hangup(
    @CurrentPrincipal() p: Principal,
    @Param('callId', CALL_ID) callId: string,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: HangupResource }> {
    await this.live.hangup(p, callId, meta);
    return { data: { status: 'hangup_requested' } };
  }
}
