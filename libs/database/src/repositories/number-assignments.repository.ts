import { Injectable } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import { NumberAssignmentEntity } from '../entities';
import { ListQuery, Page } from '../list-query';
import { managerOf } from '../unit-of-work';
import { escapeLike } from './tenants.repository';

const SORTABLE: Record<string, string> = { number: 'number', created_at: 'createdAt' };

/** Which tenant each public number belongs to. A number has one owner platform-wide. */
@Injectable()
export class NumberAssignmentsRepository {
  constructor(private readonly ds: DataSource) {}

  private get repo(): Repository<NumberAssignmentEntity> {
    return managerOf(this.ds).getRepository(NumberAssignmentEntity);
  }

  find(number: string): Promise<NumberAssignmentEntity | null> {
    return this.repo.findOneBy({ number });
  }

  async list(tenantId: string, q: ListQuery): Promise<Page<NumberAssignmentEntity>> {
    const qb = this.repo.createQueryBuilder('n').where('n.tenantId = :tenantId', { tenantId });
    if (q.filters.number) qb.andWhere('n.number LIKE :number', { number: `${escapeLike(q.filters.number)}%` });
    for (const s of q.sort) if (SORTABLE[s.field]) qb.addOrderBy(`n.${SORTABLE[s.field]}`, s.direction);
    qb.addOrderBy('n.number', 'ASC');
    const [items, total] = await qb
      .skip((q.page - 1) * q.perPage)
      .take(q.perPage)
      .getManyAndCount();
    return { items, total };
  }

  assign(tenantId: string, number: string, assignedBy: string | null): Promise<NumberAssignmentEntity> {
    return this.repo.save(this.repo.create({ tenantId, number, assignedBy }));
  }

  /** False when the tenant holds no such number. A number a DID still uses is refused by fk_dids_number. */
  async release(tenantId: string, number: string): Promise<boolean> {
    const res = await this.repo.delete({ tenantId, number });
    return (res.affected ?? 0) > 0;
  }
}

export const NUMBER_SORTABLE = Object.keys(SORTABLE);
