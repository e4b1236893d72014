import { Controller, Get, HttpCode, NotFoundException, Param, ParseUUIDPipe, Post, UseFilters } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DeniedAccessFilter } from '../audit/denied-access.filter';
import { CurrentPrincipal, Meta, RequirePermissions } from '../auth/guards/auth.decorators';
import type { Principal, RequestMeta } from '../auth/principal';
import { ApiErrors } from '../http/openapi';
import { ApiDataResponse } from '../http/openapi-envelopes';
import { ErasureResource, UserExportResource } from './dto/personal-data.dto';
import { PersonalDataService } from './personal-data.service';

const USER_ID = new ParseUUIDPipe({ exceptionFactory: () => new NotFoundException() });

@ApiTags('users')
@ApiBearerAuth()
@UseFilters(DeniedAccessFilter)
@Controller('api/v1/users/:id')
export class PersonalDataController {
  constructor(private readonly personal: PersonalDataService) {}

  @Get('export')
  @RequirePermissions('users.export')
  @ApiOperation({ summary: 'Export everything held about a user of your tenant as one JSON document (GDPR access)' })
  @ApiDataResponse(UserExportResource)
  @ApiErrors(401, 403, 404)
  async export(
    @CurrentPrincipal() p: Principal,
    @Param('id', USER_ID) id: string,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: UserExportResource }> {
    return { data: await this.personal.export(p, id, meta) };
  }

  @Post('erase')
  @HttpCode(200)
  @RequirePermissions('users.erase')
  @ApiOperation({
    summary:
      "Erase a user (GDPR erasure): their row, devices and sessions go, their CDRs' numbers become pseudonyms, " +
      'their audit entries lose email, IP and user agent; the erasure is audited and the chain still verifies',
  })
  @ApiDataResponse(ErasureResource)
  @ApiErrors(401, 403, 404, 422)
  async erase(
    @CurrentPrincipal() p: Principal,
    @Param('id', USER_ID) id: string,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: ErasureResource }> {
    return { data: await this.personal.erase(p, id, meta) };
  }
}
