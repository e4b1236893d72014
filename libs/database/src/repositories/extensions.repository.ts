import { Injectable } from '@nestjs/common';
import { DataSource, ObjectLiteral, Repository, SelectQueryBuilder } from 'typeorm';
import { DeviceEntity, ExtensionEntity } from '../entities';
import { ListQuery, Page } from '../list-query';
import { managerOf } from '../unit-of-work';

function violated(err: unknown, sqlState: string): string | null {
  const e = err as {
    code?: unknown;
    constraint?: unknown;
    driverError?: { code?: unknown; constraint?: unknown };
  };
  const code = e.driverError?.code ?? e.code;
  const name = e.driverError?.constraint ?? e.constraint;
  return code === sqlState && typeof name === 'string' ? name : null;
}

/** The named unique constraint a write broke (Postgres 23505), or null for any other error. */
export function uniqueViolation(err: unknown): string | null {
  return violated(err, '23505');
}

/** The named foreign key a write broke (23503): a row referenced or removed concurrently. */
export function foreignKeyViolation(err: unknown): string | null {
  return violated(err, '23503');
}

/** Applies the validated sort (mapped to entity properties), a stable id tie-break, and the page. */
export async function pageOf<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  q: ListQuery,
  sortable: Record<string, string>,
): Promise<Page<T>> {
  for (const s of q.sort)
    if (sortable[s.field]) qb.addOrderBy(`${qb.alias}.${sortable[s.field]}`, s.direction);
  qb.addOrderBy(`${qb.alias}.id`, 'ASC');
  const [items, total] = await qb
    .skip((q.page - 1) * q.perPage)
    .take(q.perPage)
    .getManyAndCount();
  return { items, total };
}

const SORTABLE: Record<string, string> = { number: 'number', name: 'name', created_at: 'createdAt' };

export type ExtensionPatch = Partial<Pick<ExtensionEntity, 'number' | 'name' | 'userId'>>;

@Injectable()
export class ExtensionsRepository {
  constructor(private readonly ds: DataSource) {}

  private get repo(): Repository<ExtensionEntity> {
    return managerOf(this.ds).getRepository(ExtensionEntity);
  }

  private get devices(): Repository<DeviceEntity> {
    return managerOf(this.ds).getRepository(DeviceEntity);
  }

  findInTenant(tenantId: string, id: string): Promise<ExtensionEntity | null> {
    return this.repo.findOneBy({ tenantId, id });
  }

  findByNumber(tenantId: string, number: string): Promise<ExtensionEntity | null> {
    return this.repo.findOneBy({ tenantId, number });
  }

  existsNumber(tenantId: string, number: string, exceptId?: string): Promise<boolean> {
    const qb = this.repo
      .createQueryBuilder('e')
      .where('e.tenantId = :tenantId AND e.number = :number', { tenantId, number });
    if (exceptId) qb.andWhere('e.id <> :exceptId', { exceptId });
    return qb.getExists();
  }

  list(tenantId: string, q: ListQuery): Promise<Page<ExtensionEntity>> {
    const qb = this.repo.createQueryBuilder('e').where('e.tenantId = :tenantId', { tenantId });
    if (q.filters.number)
      qb.andWhere('e.number LIKE :number', { number: `${q.filters.number.replace(/\D/g, '')}%` });
    if (q.filters.user_id) qb.andWhere('CAST(e.userId AS text) = :userId', { userId: q.filters.user_id });
    return pageOf(qb, q, SORTABLE);
  }

  create(data: Pick<ExtensionEntity, 'tenantId' | 'number' | 'name' | 'userId'>): Promise<ExtensionEntity> {
    return this.repo.save(this.repo.create(data));
  }

  async update(ext: ExtensionEntity, patch: ExtensionPatch): Promise<ExtensionEntity> {
    Object.assign(ext, patch);
    return this.repo.save(ext);
  }

  countDevices(extensionId: string): Promise<number> {
    return this.devices.countBy({ extensionId });
  }

  async delete(tenantId: string, id: string): Promise<void> {
    await this.repo.delete({ tenantId, id });
  }
}

export const EXTENSION_SORTABLE = Object.keys(SORTABLE);
