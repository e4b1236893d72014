import { Body, Controller, Get, HttpCode, Patch, Post, Put, UseFilters } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DeniedAccessFilter } from '../audit/denied-access.filter';
import { CurrentPrincipal, Meta, RequirePermissions } from '../auth/guards/auth.decorators';
import type { Principal, RequestMeta } from '../auth/principal';
import { ApiErrors } from '../http/openapi';
import { ApiDataResponse } from '../http/openapi-envelopes';
import { LockLevelDto, UpdatePolicyDto } from './dto/policy.dto';
import { SimulateDto } from './dto/simulate.dto';
import { PolicyResource, presentPolicy } from './policy.presenter';
import { PolicyService, TenantPolicy } from './policy.service';
import { SimulateService } from './simulate.service';
import { presentSimulation, SimulationResource } from './simulation.presenter';

const envelope = ({ policy, tenant }: TenantPolicy) => ({ data: presentPolicy(policy, tenant) });

@ApiTags('policy')
@ApiBearerAuth()
@UseFilters(DeniedAccessFilter)
@Controller('api/v1/policy')
export class PolicyController {
  constructor(
    private readonly policy: PolicyService,
    private readonly simulator: SimulateService,
  ) {}

  @Get()
  @RequirePermissions('policy.view')
  @ApiOperation({ summary: "Show your tenant's toll-fraud policy and lock level" })
  @ApiDataResponse(PolicyResource)
  @ApiErrors(401, 403)
  async show(@CurrentPrincipal() p: Principal): Promise<{ data: PolicyResource }> {
    return envelope(await this.policy.get(p));
  }

  @Patch()
  @RequirePermissions('policy.manage')
  @ApiOperation({
    summary: 'Change policy settings; absent fields are unchanged, null turns a limit or feature off',
  })
  @ApiDataResponse(PolicyResource)
  @ApiErrors(401, 403, 422)
  async update(
    @CurrentPrincipal() p: Principal,
    @Body() dto: UpdatePolicyDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: PolicyResource }> {
    return envelope(await this.policy.update(p, dto, meta));
  }

  @Put()
  @RequirePermissions('policy.manage')
  @ApiOperation({ summary: 'Same as PATCH: absent fields are left unchanged' })
  @ApiDataResponse(PolicyResource)
  @ApiErrors(401, 403, 422)
  replace(
    @CurrentPrincipal() p: Principal,
    @Body() dto: UpdatePolicyDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: PolicyResource }> {
    return this.update(p, dto, meta);
  }

  @Put('lock-level')
  @RequirePermissions('policy.manage')
  @ApiOperation({
    summary:
      "Set your tenant's lock level (0 none, 1 no international, 2 internal only, 3 emergency only); lowering it undoes a spend-cap escalation",
  })
  @ApiDataResponse(PolicyResource)
  @ApiErrors(401, 403, 422)
  async setLockLevel(
    @CurrentPrincipal() p: Principal,
    @Body() dto: LockLevelDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ data: PolicyResource }> {
    return envelope(await this.policy.setTenantLock(p, dto, meta));
  }

  @Post('simulate')
  @HttpCode(200)
  @RequirePermissions('policy.simulate')
  @ApiOperation({
    summary:
      'What the SIP app would decide for this call now (or at `time`), with the evaluated steps; live Redis counters unless overridden',
    description:
      'The source IP is geolocated; private, loopback and unlisted addresses have no country, which matches no country_deny rule and fails every country_allow rule.',
  })
  @ApiDataResponse(SimulationResource)
  @ApiErrors(401, 403, 422)
  async simulate(
    @CurrentPrincipal() p: Principal,
    @Body() dto: SimulateDto,
  ): Promise<{ data: SimulationResource }> {
    return { data: presentSimulation(await this.simulator.simulate(p, dto)) };
  }
}
