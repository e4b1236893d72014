import {
  Controller,
  Get,
  Inject,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Query,
  Req,
  Res,
  StreamableFile,
  UseFilters,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CDR_SORTABLE } from '@pbx/database';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DeniedAccessFilter } from '../audit/denied-access.filter';
import { CurrentPrincipal, Meta, RequirePermissions } from '../auth/guards/auth.decorators';
import type { Principal, RequestMeta } from '../auth/principal';
import { ApiConfig, API_CONFIG } from '../config/api-config';
import { parseListQuery } from '../http/list-query';
import { ApiErrors } from '../http/openapi';
import { ApiDataResponse, ApiListQuery, ApiPageResponse } from '../http/openapi-envelopes';
import { paginate, PaginatedEnvelope } from '../http/pagination';
import { CDR_FILTERABLE, parseCdrFilters } from './cdr-filters';
import { CdrResource, presentCdr } from './cdr.presenter';
import { CDR_EXPORT_MAX_ROWS, CdrsService } from './cdrs.service';

const CDR_ID = new ParseUUIDPipe({ exceptionFactory: () => new NotFoundException() });

const FILTER_DOC = {
  name: 'filter',
  required: false,
  style: 'deepObject',
  explode: true,
  type: 'object',
  description:
    'filter[device_id], filter[extension_id], filter[direction] (inbound|outbound|internal), ' +
    'filter[destination_country] (ISO alpha-2), filter[disposition], filter[from] and filter[to] ' +
    '(ISO 8601; started_at >= from and < to)',
} as const;

@ApiTags('cdrs')
@ApiBearerAuth()
@UseFilters(DeniedAccessFilter)
@Controller('api/v1/cdrs')
export class CdrsController {
  constructor(
    private readonly cdrs: CdrsService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Get()
  @RequirePermissions('cdrs.view')
  @ApiOperation({
    summary: "List your tenant's call detail records; numbers masked without cdrs.view_numbers",
  })
  @ApiListQuery(
    `Comma-separated, - for descending: ${CDR_SORTABLE.join(', ')}; default -started_at`,
    FILTER_DOC.description,
  )
  @ApiPageResponse(CdrResource)
  @ApiErrors(401, 403, 422)
  async list(
    @CurrentPrincipal() p: Principal,
    @Query() query: Record<string, unknown>,
    @Req() req: FastifyRequest,
  ): Promise<PaginatedEnvelope<CdrResource>> {
    const q = parseListQuery(query, {
      sortable: CDR_SORTABLE,
      filterable: CDR_FILTERABLE,
      defaultSort: '-started_at',
    });
    const reveal = this.cdrs.revealsNumbers(p);
    const page = await this.cdrs.list(p, parseCdrFilters(q.filters), q);
    return paginate(page, q, this.config.API_PUBLIC_URL, req.url, (c) => presentCdr(c, reveal));
  }

  @Get('export')
  @RequirePermissions('cdrs.view')
  @ApiOperation({
    summary: `Download matching CDRs as CSV, newest first, streamed; at most ${CDR_EXPORT_MAX_ROWS} rows`,
    description:
      'Same filters as the list. UTF-8, CRLF line ends, a header row. Cells a spreadsheet would run as a ' +
      "formula (starting with = + - @) are prefixed with '. X-Export-Rows gives the row count and " +
      'X-Export-Truncated is true when more records matched than the cap. Audited.',
  })
  @ApiQuery(FILTER_DOC)
  @ApiProduces('text/csv')
  @ApiOkResponse({ description: 'CSV attachment', content: { 'text/csv': { schema: { type: 'string' } } } })
  @ApiErrors(401, 403, 422)
  async export(
    @CurrentPrincipal() p: Principal,
    @Query() query: Record<string, unknown>,
    @Meta() meta: RequestMeta,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StreamableFile> {
    const q = parseListQuery(query, { sortable: [], filterable: CDR_FILTERABLE });
    const out = await this.cdrs.export(p, parseCdrFilters(q.filters), q.filters, meta);
    const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
    void reply
      .header('cache-control', 'no-store')
      .header('x-export-rows', String(out.rows))
      .header('x-export-truncated', String(out.truncated));
    return new StreamableFile(out.body, {
      type: 'text/csv; charset=utf-8',
      disposition: `attachment; filename="cdrs-${stamp}Z.csv"`,
    });
  }

  @Get(':id')
  @RequirePermissions('cdrs.view')
  @ApiOperation({ summary: 'Show one call detail record of your tenant' })
  @ApiDataResponse(CdrResource)
  @ApiErrors(401, 403, 404)
  async show(
    @CurrentPrincipal() p: Principal,
    @Param('id', CDR_ID) id: string,
  ): Promise<{ data: CdrResource }> {
    return { data: presentCdr(await this.cdrs.get(p, id), this.cdrs.revealsNumbers(p)) };
  }
}
