import { Controller, Get, Inject, Query, Req, UseFilters } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AUDIT_FILTERABLE } from '@pbx/database';
import type { FastifyRequest } from 'fastify';
import { CurrentPrincipal, RequirePermissions } from '../auth/guards/auth.decorators';
import type { Principal } from '../auth/principal';
import { API_CONFIG, ApiConfig } from '../config/api-config';
import { parseListQuery } from '../http/list-query';
import { ApiErrors } from '../http/openapi';
import { ApiDataResponse, ApiListQuery, ApiPageResponse } from '../http/openapi-envelopes';
import { paginate, PaginatedEnvelope } from '../http/pagination';
import { AuditEntryResource, presentAuditEntry } from './audit-log.presenter';
import { AuditLogService } from './audit-log.service';
import { DeniedAccessFilter } from './denied-access.filter';
import { AuditVerificationResource } from './dto/audit-log.dto';

const LIST_RULES = {
  sortable: ['created_at', 'id'],
  filterable: [...AUDIT_FILTERABLE, 'from', 'to'],
  defaultSort: '-id',
};

@ApiTags('audit-log')
@ApiBearerAuth()
@UseFilters(DeniedAccessFilter)
@Controller('api/v1/audit-log')
export class AuditLogController {
  constructor(
    private readonly auditLog: AuditLogService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Get()
  @RequirePermissions('audit.view')
  @ApiOperation({ summary: "Your tenant's audit log, newest first" })
  @ApiListQuery(
    'id or created_at; -id (the default) for newest first',
    `filter[${AUDIT_FILTERABLE.join('], filter[')}], and filter[from] / filter[to] as ISO 8601 dates (inclusive)`,
  )
  @ApiPageResponse(AuditEntryResource)
  @ApiErrors(401, 403, 422)
  async list(
    @CurrentPrincipal() p: Principal,
    @Query() query: Record<string, unknown>,
    @Req() req: FastifyRequest,
  ): Promise<PaginatedEnvelope<AuditEntryResource>> {
    const q = parseListQuery(query, LIST_RULES);
    return paginate(
      await this.auditLog.list(p, q),
      q,
      this.config.API_PUBLIC_URL,
      req.url,
      presentAuditEntry,
    );
  }

  @Get('verify')
  @RequirePermissions('audit.verify')
  @ApiOperation({ summary: "Walk your tenant's hash chain and report the first entry that fails to verify" })
  @ApiDataResponse(AuditVerificationResource)
  @ApiErrors(401, 403)
  async verify(@CurrentPrincipal() p: Principal): Promise<{ data: AuditVerificationResource }> {
    return { data: await this.auditLog.verify(p) };
  }
}
