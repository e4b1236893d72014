import { isUuid } from '@pbx/common';
import { Injectable, NotFoundException } from '@nestjs/common';
import {
  DestinationRuleEntity,
  ListQuery,
  NewDestinationRule,
  NewSourceRule,
  Page,
  PolicyRepository,
  PolicyRulesRepository,
  SourceRuleEntity,
} from '@pbx/database';
import { AuditService } from '../audit/audit.service';
import type { Principal, RequestMeta } from '../auth/principal';
import { unprocessable } from '../http/validation';
import type {
  CreateDestinationRuleDto,
  CreateSourceRuleDto,
  UpdateDestinationRuleDto,
  UpdateSourceRuleDto,
} from './dto/rules.dto';
import { auditBase, changedFields, isUniqueViolation } from './policy-audit';
import { PolicyRuntime } from './policy-runtime.service';
import { normaliseSourceValue } from './source-value';

const DUPLICATE_DESTINATION = 'A rule for this destination already exists for the same tenant or device.';
const DUPLICATE_SOURCE = 'An identical rule already exists for the same tenant or device.';

/** Destination (prefix/country) rules and source (IP/geo) rules; a device_id must name a device of the tenant. */

/** Values the database would refuse with a type error (a 500) are 422s here. */
function checkRuleListFilters(q: ListQuery): void {
  const { device_id: deviceId, scope } = q.filters;
  if (deviceId !== undefined && !isUuid(deviceId)) throw unprocessable({ 'filter.device_id': ['The filter device_id must be a UUID.'] });
  if (scope !== undefined && scope !== 'tenant' && scope !== 'device') {
    throw unprocessable({ 'filter.scope': ['The filter scope must be tenant or device.'] });
  }
}

@Injectable()
export class PolicyRulesService {
  constructor(
    private readonly rules: PolicyRulesRepository,
    private readonly policies: PolicyRepository,
    private readonly runtime: PolicyRuntime,
    private readonly audit: AuditService,
  ) {}

  listDestinationRules(p: Principal, q: ListQuery): Promise<Page<DestinationRuleEntity>> {
    checkRuleListFilters(q);
    return this.rules.listDestinationRules(p.tenantId, q);
  }

  async getDestinationRule(p: Principal, id: string): Promise<DestinationRuleEntity> {
    const rule = await this.rules.findDestinationRule(p.tenantId, id);
    if (!rule) throw new NotFoundException();
    return rule;
  }

  async createDestinationRule(p: Principal, dto: CreateDestinationRuleDto, meta: RequestMeta): Promise<DestinationRuleEntity> {
    return this.audit.change(async () => {
      await this.assertDevice(p, dto.device_id);
      const other = dto.kind === 'prefix' ? 'country' : 'prefix';
      if (dto[other] !== undefined) throw unprocessable({ [other]: [`The ${other} field is not allowed for kind ${dto.kind}.`] });
      const data: NewDestinationRule = {
        deviceId: dto.device_id ?? null,
        kind: dto.kind,
        prefix: dto.kind === 'prefix' ? (dto.prefix ?? null) : null,
        country: dto.kind === 'country' ? (dto.country ?? null) : null,
        action: dto.action,
        note: dto.note ?? null,
      };
      const rule = await this.rules.createDestinationRule(p.tenantId, data).catch((err: unknown) => {
        throw this.duplicate(err, 'uq_destination_rules_target', dto.kind, DUPLICATE_DESTINATION);
      });
      await this.audit.record({
        ...auditBase(p, 'destination_rule', rule.id, meta),
        action: 'policy.destination_rule.created',
        details: { kind: rule.kind, prefix: rule.prefix, country: rule.country, action: rule.action, device_id: rule.deviceId },
      });
      await this.runtime.changed(p.tenantId, rule.id);
      return rule;
    });
  }

  async updateDestinationRule(p: Principal, id: string, dto: UpdateDestinationRuleDto, meta: RequestMeta): Promise<DestinationRuleEntity> {
    return this.audit.change(async () => {
      const rule = await this.getDestinationRule(p, id);
      const wrong = rule.kind === 'prefix' ? 'country' : 'prefix';
      if (dto[wrong] !== undefined) throw unprocessable({ [wrong]: [`The ${wrong} field is not allowed for kind ${rule.kind}.`] });
      const patch: Partial<NewDestinationRule> = {};
      if (dto.prefix !== undefined) patch.prefix = dto.prefix;
      if (dto.country !== undefined) patch.country = dto.country;
      if (dto.action !== undefined) patch.action = dto.action;
      if (dto.note !== undefined) patch.note = dto.note;
      const fields = changedFields(rule, patch);
      if (fields.length === 0) return rule;
      const saved = await this.rules.updateDestinationRule(rule, patch).catch((err: unknown) => {
        throw this.duplicate(err, 'uq_destination_rules_target', rule.kind, DUPLICATE_DESTINATION);
      });
      await this.audit.record({
        ...auditBase(p, 'destination_rule', id, meta),
        action: 'policy.destination_rule.updated',
        details: { fields, action: saved.action },
      });
      await this.runtime.changed(p.tenantId, id);
      return saved;
    });
  }

  async deleteDestinationRule(p: Principal, id: string, meta: RequestMeta): Promise<void> {
    return this.audit.change(async () => {
      const rule = await this.getDestinationRule(p, id);
      await this.rules.deleteDestinationRule(p.tenantId, id);
      await this.audit.record({
        ...auditBase(p, 'destination_rule', id, meta),
        action: 'policy.destination_rule.deleted',
        details: { kind: rule.kind, prefix: rule.prefix, country: rule.country, action: rule.action, device_id: rule.deviceId },
      });
      await this.runtime.changed(p.tenantId, id);
    });
  }

  listSourceRules(p: Principal, q: ListQuery): Promise<Page<SourceRuleEntity>> {
    checkRuleListFilters(q);
    return this.rules.listSourceRules(p.tenantId, q);
  }

  async getSourceRule(p: Principal, id: string): Promise<SourceRuleEntity> {
    const rule = await this.rules.findSourceRule(p.tenantId, id);
    if (!rule) throw new NotFoundException();
    return rule;
  }

  async createSourceRule(p: Principal, dto: CreateSourceRuleDto, meta: RequestMeta): Promise<SourceRuleEntity> {
    return this.audit.change(async () => {
      const value = this.sourceValue(dto.kind, dto.value);
      await this.assertDevice(p, dto.device_id);
      const data: NewSourceRule = {
        deviceId: dto.device_id ?? null,
        kind: dto.kind,
        value,
        appliesTo: dto.applies_to ?? 'both',
        note: dto.note ?? null,
      };
      const rule = await this.rules.createSourceRule(p.tenantId, data).catch((err: unknown) => {
        throw this.duplicate(err, 'uq_source_rules_target', 'value', DUPLICATE_SOURCE);
      });
      await this.audit.record({
        ...auditBase(p, 'source_rule', rule.id, meta),
        action: 'policy.source_rule.created',
        details: { kind: rule.kind, value: rule.value, applies_to: rule.appliesTo, device_id: rule.deviceId },
      });
      await this.runtime.changed(p.tenantId, rule.id);
      return rule;
    });
  }

  async updateSourceRule(p: Principal, id: string, dto: UpdateSourceRuleDto, meta: RequestMeta): Promise<SourceRuleEntity> {
    return this.audit.change(async () => {
      const rule = await this.getSourceRule(p, id);
      const patch: Partial<NewSourceRule> = {};
      if (dto.value !== undefined) patch.value = this.sourceValue(rule.kind, dto.value);
      if (dto.applies_to !== undefined) patch.appliesTo = dto.applies_to;
      if (dto.note !== undefined) patch.note = dto.note;
      const fields = changedFields(rule, patch);
      if (fields.length === 0) return rule;
      const saved = await this.rules.updateSourceRule(rule, patch).catch((err: unknown) => {
        throw this.duplicate(err, 'uq_source_rules_target', 'value', DUPLICATE_SOURCE);
      });
      await this.audit.record({
        ...auditBase(p, 'source_rule', id, meta),
        action: 'policy.source_rule.updated',
        details: { fields, value: saved.value, applies_to: saved.appliesTo },
      });
      await this.runtime.changed(p.tenantId, id);
      return saved;
    });
  }

  async deleteSourceRule(p: Principal, id: string, meta: RequestMeta): Promise<void> {
    return this.audit.change(async () => {
      const rule = await this.getSourceRule(p, id);
      await this.rules.deleteSourceRule(p.tenantId, id);
      await this.audit.record({
        ...auditBase(p, 'source_rule', id, meta),
        action: 'policy.source_rule.deleted',
        details: { kind: rule.kind, value: rule.value, device_id: rule.deviceId },
      });
      await this.runtime.changed(p.tenantId, id);
    });
  }

  private sourceValue(kind: string, raw: string): string {
    const checked = normaliseSourceValue(kind, raw);
    if ('error' in checked) throw unprocessable({ value: [checked.error] });
    return checked.value;
  }

  private async assertDevice(p: Principal, deviceId: string | null | undefined): Promise<void> {
    if (!deviceId) return;
    if (!(await this.policies.findDevice(p.tenantId, deviceId))) {
      throw unprocessable({ device_id: ['The selected device_id is invalid.'] });
    }
  }

  private duplicate(err: unknown, constraint: string, field: string, message: string): unknown {
    return isUniqueViolation(err, constraint) ? unprocessable({ [field]: [message] }) : err;
  }
}
