import { Injectable } from '@nestjs/common';
import { DataSource, ObjectLiteral, Repository, SelectQueryBuilder } from 'typeorm';
import { DestinationRuleEntity, RateEntity, SourceRuleEntity } from '../entities';
import { ListQuery, Page } from '../list-query';
import { managerOf, transaction } from '../unit-of-work';

export type NewDestinationRule = Pick<DestinationRuleEntity, 'deviceId' | 'kind' | 'prefix' | 'country' | 'action' | 'note'>;
export type NewSourceRule = Pick<SourceRuleEntity, 'deviceId' | 'kind' | 'value' | 'appliesTo' | 'note'>;
export type NewRate = Pick<RateEntity, 'prefix' | 'perMinute' | 'firstIncrementSeconds' | 'connectionFee'>;

/** API field → entity property, for sort and equality filters. */
type FieldMap = Readonly<Record<string, string>>;

const DESTINATION_SORTABLE: FieldMap = { created_at: 'createdAt', prefix: 'prefix', country: 'country', kind: 'kind' };
const DESTINATION_FILTERS: FieldMap = { kind: 'kind', action: 'action', device_id: 'deviceId', country: 'country', prefix: 'prefix' };
const SOURCE_SORTABLE: FieldMap = { created_at: 'createdAt', value: 'value', kind: 'kind' };
const SOURCE_FILTERS: FieldMap = { kind: 'kind', applies_to: 'appliesTo', device_id: 'deviceId', value: 'value' };
const RATE_SORTABLE: FieldMap = { created_at: 'createdAt', prefix: 'prefix', per_minute: 'perMinute' };
const RATE_FILTERS: FieldMap = { prefix: 'prefix' };
const UPSERT_CHUNK = 5000;

export const DESTINATION_RULE_LIST = { sortable: Object.keys(DESTINATION_SORTABLE), filterable: [...Object.keys(DESTINATION_FILTERS), 'scope'] };
export const SOURCE_RULE_LIST = { sortable: Object.keys(SOURCE_SORTABLE), filterable: [...Object.keys(SOURCE_FILTERS), 'scope'] };
export const RATE_LIST = { sortable: Object.keys(RATE_SORTABLE), filterable: Object.keys(RATE_FILTERS) };

/**
 * Applies a validated list query. `filter[scope]=tenant|device` selects tenant-wide rules or
 * per-device overrides; the other filters are exact matches.
 */
async function listPage<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  q: ListQuery,
  sortable: FieldMap,
  filters: FieldMap,
): Promise<Page<T>> {
  for (const [field, prop] of Object.entries(filters)) {
    if (q.filters[field] !== undefined) qb.andWhere(`r.${prop} = :f_${field}`, { [`f_${field}`]: q.filters[field] });
  }
  if (q.filters.scope === 'tenant') qb.andWhere('r.deviceId IS NULL');
  if (q.filters.scope === 'device') qb.andWhere('r.deviceId IS NOT NULL');
  for (const s of q.sort) if (sortable[s.field]) qb.addOrderBy(`r.${sortable[s.field]}`, s.direction);
  qb.addOrderBy('r.id', 'ASC');
  const [items, total] = await qb
    .skip((q.page - 1) * q.perPage)
    .take(q.perPage)
    .getManyAndCount();
  return { items, total };
}

/** Destination rules, source (IP and geo) rules and rates of a tenant; every query is tenant-scoped. */
@Injectable()
export class PolicyRulesRepository {
  constructor(private readonly ds: DataSource) {}

  private get destinations(): Repository<DestinationRuleEntity> {
    return managerOf(this.ds).getRepository(DestinationRuleEntity);
  }

  private get sources(): Repository<SourceRuleEntity> {
    return managerOf(this.ds).getRepository(SourceRuleEntity);
  }

  private get rates(): Repository<RateEntity> {
    return managerOf(this.ds).getRepository(RateEntity);
  }

  allDestinationRules(tenantId: string): Promise<DestinationRuleEntity[]> {
    return this.destinations.find({ where: { tenantId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  listDestinationRules(tenantId: string, q: ListQuery): Promise<Page<DestinationRuleEntity>> {
    const qb = this.destinations.createQueryBuilder('r').where('r.tenantId = :tenantId', { tenantId });
    return listPage(qb, q, DESTINATION_SORTABLE, DESTINATION_FILTERS);
  }

  findDestinationRule(tenantId: string, id: string): Promise<DestinationRuleEntity | null> {
    return this.destinations.findOneBy({ tenantId, id });
  }

  createDestinationRule(tenantId: string, rule: NewDestinationRule): Promise<DestinationRuleEntity> {
    return this.destinations.save(this.destinations.create({ ...rule, tenantId }));
  }

  async updateDestinationRule(rule: DestinationRuleEntity, patch: Partial<NewDestinationRule>): Promise<DestinationRuleEntity> {
    Object.assign(rule, patch);
    return this.destinations.save(rule);
  }

  async deleteDestinationRule(tenantId: string, id: string): Promise<boolean> {
    return ((await this.destinations.delete({ tenantId, id })).affected ?? 0) > 0;
  }

  allSourceRules(tenantId: string): Promise<SourceRuleEntity[]> {
    return this.sources.find({ where: { tenantId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  listSourceRules(tenantId: string, q: ListQuery): Promise<Page<SourceRuleEntity>> {
    const qb = this.sources.createQueryBuilder('r').where('r.tenantId = :tenantId', { tenantId });
    return listPage(qb, q, SOURCE_SORTABLE, SOURCE_FILTERS);
  }

  findSourceRule(tenantId: string, id: string): Promise<SourceRuleEntity | null> {
    return this.sources.findOneBy({ tenantId, id });
  }

  createSourceRule(tenantId: string, rule: NewSourceRule): Promise<SourceRuleEntity> {
    return this.sources.save(this.sources.create({ ...rule, tenantId }));
  }

  async updateSourceRule(rule: SourceRuleEntity, patch: Partial<NewSourceRule>): Promise<SourceRuleEntity> {
    Object.assign(rule, patch);
    return this.sources.save(rule);
  }

  async deleteSourceRule(tenantId: string, id: string): Promise<boolean> {
    return ((await this.sources.delete({ tenantId, id })).affected ?? 0) > 0;
  }

  allRates(tenantId: string): Promise<RateEntity[]> {
    return this.rates.find({ where: { tenantId }, order: { prefix: 'ASC' } });
  }

  listRates(tenantId: string, q: ListQuery): Promise<Page<RateEntity>> {
    const qb = this.rates.createQueryBuilder('r').where('r.tenantId = :tenantId', { tenantId });
    return listPage(qb, q, RATE_SORTABLE, RATE_FILTERS);
  }

  findRate(tenantId: string, id: string): Promise<RateEntity | null> {
    return this.rates.findOneBy({ tenantId, id });
  }

  createRate(tenantId: string, rate: NewRate): Promise<RateEntity> {
    return this.rates.save(this.rates.create({ ...rate, tenantId }));
  }

  async updateRate(rate: RateEntity, patch: Partial<NewRate>): Promise<RateEntity> {
    Object.assign(rate, patch);
    return this.rates.save(rate);
  }

  async deleteRate(tenantId: string, id: string): Promise<boolean> {
    return ((await this.rates.delete({ tenantId, id })).affected ?? 0) > 0;
  }

  /** Inserts or updates rates by prefix in one transaction (prefixes must be unique); answers how many were new. */
  async upsertRates(tenantId: string, rates: readonly NewRate[]): Promise<{ created: number; updated: number }> {
    return transaction(this.ds, async (m) => {
      let created = 0;
      for (let i = 0; i < rates.length; i += UPSERT_CHUNK) {
        const chunk = rates.slice(i, i + UPSERT_CHUNK);
        // INSERT … RETURNING comes back as plain rows; xmax = 0 marks a row this statement inserted.
        const rows: Array<{ inserted: boolean }> = await m.query(
          `INSERT INTO rates (tenant_id, prefix, per_minute, first_increment_seconds, connection_fee)
           SELECT $1, * FROM unnest($2::text[], $3::numeric[], $4::int[], $5::numeric[])
           ON CONFLICT ON CONSTRAINT uq_rates_tenant_prefix DO UPDATE SET
             per_minute = EXCLUDED.per_minute,
             first_increment_seconds = EXCLUDED.first_increment_seconds,
             connection_fee = EXCLUDED.connection_fee,
             updated_at = now()
           RETURNING (xmax = 0) AS inserted`,
          [
            tenantId,
            chunk.map((r) => r.prefix),
            chunk.map((r) => r.perMinute),
            chunk.map((r) => r.firstIncrementSeconds),
            chunk.map((r) => r.connectionFee),
          ],
        );
        created += rows.filter((r) => r.inserted).length;
      }
      return { created, updated: rates.length - created };
    });
  }
}
