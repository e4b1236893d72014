import { Injectable } from '@nestjs/common';
import { DataSource, In, Repository } from 'typeorm';
import { RoleEntity, UserEntity } from '../entities';
import { ListQuery, Page } from '../list-query';
import { escapeLike } from './tenants.repository';
import { managerOf, transaction } from '../unit-of-work';

const SORTABLE: Record<string, string> = {
  name: 'name',
  email: 'email',
  created_at: 'createdAt',
  last_login_at: 'lastLoginAt',
  status: 'status',
};

export interface UserWithSecret {
  user: UserEntity;
  passwordHash: string;
  tenantStatus: string;
}

@Injectable()
export class UsersRepository {
  constructor(private readonly ds: DataSource) {}

  private get repo(): Repository<UserEntity> {
    return managerOf(this.ds).getRepository(UserEntity);
  }

  private get roles(): Repository<RoleEntity> {
    return managerOf(this.ds).getRepository(RoleEntity);
  }

  /** For login only: the one place that reads the password hash. */
  async findForLogin(email: string): Promise<UserWithSecret | null> {
    const user = await this.repo
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .leftJoinAndSelect('u.roles', 'r')
      .leftJoinAndSelect('u.tenant', 't')
      .where('u.email = :email', { email })
      .getOne();
    if (!user) return null;
    const { passwordHash, tenant } = user;
    delete (user as Partial<UserEntity>).passwordHash;
    return { user, passwordHash, tenantStatus: tenant?.status ?? 'suspended' };
  }

  /** One query: findOne with a relation costs TypeORM a second, DISTINCT id query. */
  findInTenant(tenantId: string, id: string): Promise<UserEntity | null> {
    return this.repo
      .createQueryBuilder('u')
      .leftJoinAndSelect('u.roles', 'r')
      .where('u.id = :id AND u.tenantId = :tenantId', { id, tenantId })
      .getOne();
  }

  findById(id: string): Promise<UserEntity | null> {
    return this.repo.findOne({ where: { id }, relations: { roles: true } });
  }

  existsByEmail(email: string, exceptId?: string): Promise<boolean> {
    const qb = this.repo.createQueryBuilder('u').where('u.email = :email', { email });
    if (exceptId) qb.andWhere('u.id <> :exceptId', { exceptId });
    return qb.getExists();
  }

  async list(tenantId: string, q: ListQuery): Promise<Page<UserEntity>> {
    const qb = this.repo.createQueryBuilder('u').leftJoinAndSelect('u.roles', 'r').where('u.tenantId = :tenantId', {
      tenantId,
    });
    if (q.filters.status) qb.andWhere('u.status = :status', { status: q.filters.status });
    if (q.filters.email) qb.andWhere('u.email ILIKE :email', { email: `%${escapeLike(q.filters.email)}%` });
    if (q.filters.name) qb.andWhere('u.name ILIKE :name', { name: `%${escapeLike(q.filters.name)}%` });
    if (q.filters.role) {
      qb.andWhere('EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = u.id AND ur.role_key = :role)', {
        role: q.filters.role,
      });
    }
    for (const s of q.sort) if (SORTABLE[s.field]) qb.addOrderBy(`u.${SORTABLE[s.field]}`, s.direction);
    qb.addOrderBy('u.id', 'ASC');
    const [items, total] = await qb
      .skip((q.page - 1) * q.perPage)
      .take(q.perPage)
      .getManyAndCount();
    return { items, total };
  }

  async create(data: {
    tenantId: string;
    email: string;
    name: string;
    passwordHash: string;
    roles: string[];
  }): Promise<UserEntity> {
    return transaction(this.ds, async (m) => {
      const roles = await m.getRepository(RoleEntity).findBy({ key: In(data.roles) });
      const user = m.getRepository(UserEntity).create({ ...data, roles, passwordChangedAt: new Date() });
      const saved = await m.getRepository(UserEntity).save(user);
      delete (saved as Partial<UserEntity>).passwordHash;
      return saved;
    });
  }

  async update(user: UserEntity, patch: { name?: string; email?: string; roles?: string[]; status?: UserEntity['status'] }) {
    if (patch.roles) user.roles = await this.roles.findBy({ key: In(patch.roles) });
    if (patch.name !== undefined) user.name = patch.name;
    if (patch.email !== undefined) user.email = patch.email;
    if (patch.status !== undefined) user.status = patch.status;
    await this.repo.save(user);
    return user;
  }

  async setPassword(id: string, passwordHash: string): Promise<void> {
    await this.repo.update({ id }, { passwordHash, passwordChangedAt: new Date(), failedLoginAttempts: 0, lockedUntil: null });
  }

  /** Counts a failed login atomically; locks the account when the count reaches maxFailures. */
  async recordLoginFailure(id: string, maxFailures: number, lockSeconds: number): Promise<{ attempts: number; lockedUntil: Date | null }> {
    // For UPDATE … RETURNING, TypeORM's postgres driver answers [rows, affectedCount].
    const [rows]: [Array<{ failed_login_attempts: number; locked_until: Date | null }>, number] = await managerOf(this.ds).query(
      `UPDATE users SET
         failed_login_attempts = failed_login_attempts + 1,
         locked_until = CASE WHEN failed_login_attempts + 1 >= $2 THEN now() + make_interval(secs => $3) ELSE locked_until END
       WHERE id = $1
       RETURNING failed_login_attempts, locked_until`,
      [id, maxFailures, lockSeconds],
    );
    const row = rows[0];
    return { attempts: row?.failed_login_attempts ?? 0, lockedUntil: row?.locked_until ?? null };
  }

  async recordLoginSuccess(id: string): Promise<void> {
    await this.repo.update({ id }, { failedLoginAttempts: 0, lockedUntil: null, lastLoginAt: new Date() });
  }

  /** Once a lock has run out, the next attempt starts a fresh count. */
  async clearExpiredLock(id: string): Promise<void> {
    await managerOf(this.ds).query(
      `UPDATE users SET failed_login_attempts = 0, locked_until = NULL WHERE id = $1 AND locked_until IS NOT NULL AND locked_until <= now()`,
      [id],
    );
  }
}

export const USER_SORTABLE = Object.keys(SORTABLE);
