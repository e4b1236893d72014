import { Injectable } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import { TenantEntity } from '../entities';
import { ListQuery, Page } from '../list-query';
import { managerOf } from '../unit-of-work';

const SORTABLE: Record<string, string> = { name: 'name', slug: 'slug', created_at: 'createdAt', status: 'status' };

@Injectable()
export class TenantsRepository {
  constructor(private readonly ds: DataSource) {}

  private get repo(): Repository<TenantEntity> {
    return managerOf(this.ds).getRepository(TenantEntity);
  }

  findById(id: string): Promise<TenantEntity | null> {
    return this.repo.findOneBy({ id });
  }

  findBySlug(slug: string): Promise<TenantEntity | null> {
    return this.repo.findOneBy({ slug });
  }

  /** The tenant whose SIP domain this is (realms are unique; phones may write them in any case). */
  findByRealm(realm: string): Promise<TenantEntity | null> {
    return this.repo.createQueryBuilder('t').where('lower(t.sip_realm) = lower(:realm)', { realm }).getOne();
  }

  async list(q: ListQuery, onlyId?: string): Promise<Page<TenantEntity>> {
    const qb = this.repo.createQueryBuilder('t');
    if (onlyId) qb.andWhere('t.id = :onlyId', { onlyId });
    if (q.filters.status) qb.andWhere('t.status = :status', { status: q.filters.status });
    if (q.filters.name) qb.andWhere('t.name ILIKE :name', { name: `%${escapeLike(q.filters.name)}%` });
    for (const s of q.sort) if (SORTABLE[s.field]) qb.addOrderBy(`t.${SORTABLE[s.field]}`, s.direction);
    qb.addOrderBy('t.id', 'ASC');
    const [items, total] = await qb
      .skip((q.page - 1) * q.perPage)
      .take(q.perPage)
      .getManyAndCount();
    return { items, total };
  }

  create(data: Pick<TenantEntity, 'name' | 'slug'> & Partial<TenantEntity>): Promise<TenantEntity> {
    return this.repo.save(this.repo.create({ sipRealm: data.slug, ...data }));
  }

  async update(id: string, patch: Partial<Pick<TenantEntity, 'name' | 'status' | 'defaultCountry' | 'timezone' | 'srtpRequired' | 'codecAllowList'>>) {
    await this.repo.update({ id }, patch);
    return this.findById(id);
  }
}

export const TENANT_SORTABLE = Object.keys(SORTABLE);

export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
