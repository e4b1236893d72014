import { Injectable, NotFoundException } from '@nestjs/common';
import { csvRow } from '@pbx/common';
import { CdrCursor, CdrEntity, CdrFilters, CdrsRepository, ListQuery, Page } from '@pbx/database';
import { Readable } from 'node:stream';
import { AuditService } from '../audit/audit.service';
import type { Principal, RequestMeta } from '../auth/principal';
import { CDR_CSV_COLUMNS, presentCdr } from './cdr.presenter';

/** An export stops here; the response says so in X-Export-Truncated. Narrow the dates to get the rest. */
export const CDR_EXPORT_MAX_ROWS = 100_000;
const EXPORT_BATCH = 1_000;

export interface CdrExport {
  rows: number;
  truncated: boolean;
  body: Readable;
}

@Injectable()
export class CdrsService {
  constructor(
    private readonly cdrs: CdrsRepository,
    private readonly audit: AuditService,
  ) {}

  /** Full numbers are personal data; only cdrs.view_numbers sees them, in JSON and CSV alike. */
  revealsNumbers(p: Principal): boolean {
    return p.permissions.has('cdrs.view_numbers');
  }

  list(p: Principal, filters: CdrFilters, q: ListQuery): Promise<Page<CdrEntity>> {
    return this.cdrs.list(p.tenantId, filters, q);
  }

  async get(p: Principal, id: string): Promise<CdrEntity> {
    const cdr = await this.cdrs.findInTenant(p.tenantId, id);
    if (!cdr) throw new NotFoundException();
    return cdr;
  }

  /**
   * Streams the matching records as CSV, newest first, at most CDR_EXPORT_MAX_ROWS of them. Bulk
   * export of call records is audited before the first byte goes out, with whether numbers were shown.
   */
  async export(
    p: Principal,
    filters: CdrFilters,
    rawFilters: Record<string, string>,
    meta: RequestMeta,
  ): Promise<CdrExport> {
    const total = await this.cdrs.count(p.tenantId, filters);
    const rows = Math.min(total, CDR_EXPORT_MAX_ROWS);
    const reveal = this.revealsNumbers(p);
    await this.audit.record({
      tenantId: p.tenantId,
      actor: p,
      target: { type: 'cdr', id: null },
      meta,
      action: 'cdr.exported',
      result: 'success',
      details: { rows, truncated: total > rows, numbers_revealed: reveal, filters: rawFilters },
    });
    return {
      rows,
      truncated: total > rows,
      body: Readable.from(this.lines(p.tenantId, filters, rows, reveal)),
    };
  }

  private async *lines(
    tenantId: string,
    filters: CdrFilters,
    max: number,
    reveal: boolean,
  ): AsyncGenerator<string> {
    yield csvRow(CDR_CSV_COLUMNS);
    let cursor: CdrCursor | null = null;
    let sent = 0;
    while (sent < max) {
      const batch: { rows: CdrEntity[]; next: CdrCursor | null } = await this.cdrs.exportBatch(
        tenantId,
        filters,
        cursor,
        Math.min(EXPORT_BATCH, max - sent),
      );
      if (batch.rows.length === 0) break;
      let chunk = '';
      for (const row of batch.rows) {
        const r = presentCdr(row, reveal);
        chunk += csvRow(CDR_CSV_COLUMNS.map((c) => r[c]));
      }
      yield chunk;
      sent += batch.rows.length;
      if (!batch.next) break;
      cursor = batch.next;
    }
  }
}
