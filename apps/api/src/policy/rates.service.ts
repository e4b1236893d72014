import { Injectable, NotFoundException } from '@nestjs/common';
import { ListQuery, NewRate, Page, PolicyRulesRepository, RateEntity } from '@pbx/database';
import { AuditService } from '../audit/audit.service';
import type { Principal, RequestMeta } from '../auth/principal';
import { unprocessable } from '../http/validation';
import type { CreateRateDto, UpdateRateDto } from './dto/rules.dto';
import { auditBase, changedFields, isUniqueViolation } from './policy-audit';
import { PolicyRuntime } from './policy-runtime.service';
import { parseRatesCsv } from './rates-csv';

const PREFIX_TAKEN = 'The prefix has already been taken.';

export interface ImportResult {
  created: number;
  updated: number;
  total: number;
}

/** Per-prefix rates the spend caps price a call's first billable unit with. */
@Injectable()
export class RatesService {
  constructor(
    private readonly rules: PolicyRulesRepository,
    private readonly runtime: PolicyRuntime,
    private readonly audit: AuditService,
  ) {}

  list(p: Principal, q: ListQuery): Promise<Page<RateEntity>> {
    return this.rules.listRates(p.tenantId, q);
  }

  async get(p: Principal, id: string): Promise<RateEntity> {
    const rate = await this.rules.findRate(p.tenantId, id);
    if (!rate) throw new NotFoundException();
    return rate;
  }

  async create(p: Principal, dto: CreateRateDto, meta: RequestMeta): Promise<RateEntity> {
    return this.audit.change(async () => {
      const data: NewRate = {
        prefix: dto.prefix,
        perMinute: dto.per_minute,
        firstIncrementSeconds: dto.first_increment_seconds ?? 60,
        connectionFee: dto.connection_fee ?? 0,
      };
      const rate = await this.rules.createRate(p.tenantId, data).catch((err: unknown) => {
        throw isUniqueViolation(err, 'uq_rates_tenant_prefix') ? unprocessable({ prefix: [PREFIX_TAKEN] }) : err;
      });
      await this.audit.record({
        ...auditBase(p, 'rate', rate.id, meta),
        action: 'policy.rate.created',
        details: { prefix: rate.prefix, per_minute: rate.perMinute },
      });
      await this.runtime.changed(p.tenantId, rate.id);
      return rate;
    });
  }

  async update(p: Principal, id: string, dto: UpdateRateDto, meta: RequestMeta): Promise<RateEntity> {
    return this.audit.change(async () => {
      const rate = await this.get(p, id);
      const patch: Partial<NewRate> = {};
      if (dto.per_minute !== undefined) patch.perMinute = dto.per_minute;
      if (dto.first_increment_seconds !== undefined) patch.firstIncrementSeconds = dto.first_increment_seconds;
      if (dto.connection_fee !== undefined) patch.connectionFee = dto.connection_fee;
      const fields = changedFields(rate, patch);
      if (fields.length === 0) return rate;
      const saved = await this.rules.updateRate(rate, patch);
      await this.audit.record({ ...auditBase(p, 'rate', id, meta), action: 'policy.rate.updated', details: { prefix: saved.prefix, fields } });
      await this.runtime.changed(p.tenantId, id);
      return saved;
    });
  }

  async remove(p: Principal, id: string, meta: RequestMeta): Promise<void> {
    return this.audit.change(async () => {
      const rate = await this.get(p, id);
      await this.rules.deleteRate(p.tenantId, id);
      await this.audit.record({ ...auditBase(p, 'rate', id, meta), action: 'policy.rate.deleted', details: { prefix: rate.prefix } });
      await this.runtime.changed(p.tenantId, id);
    });
  }

  /** All or nothing: one bad line and no rate is written. */
  async import(p: Principal, body: unknown, meta: RequestMeta): Promise<ImportResult> {
    return this.audit.change(async () => {
      if (typeof body !== 'string') {
        throw unprocessable({ csv: ['The body must be CSV text (Content-Type: text/csv).'] });
      }
      const parsed = parseRatesCsv(body);
      if ('errors' in parsed) throw unprocessable(parsed.errors);
      const { created, updated } = await this.rules.upsertRates(p.tenantId, parsed.rates);
      await this.audit.record({ ...auditBase(p, 'rate', null, meta), action: 'policy.rates.imported', details: { created, updated } });
      await this.runtime.changed(p.tenantId);
      return { created, updated, total: parsed.rates.length };
    });
  }
}
