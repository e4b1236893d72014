import { Injectable } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import { DidEntity, OutboundRouteEntity, TrunkEntity } from '../entities';
import { ListQuery, Page } from '../list-query';
import { pageOf } from './extensions.repository';
import { escapeLike } from './tenants.repository';
import { managerOf } from '../unit-of-work';

const TRUNK_SORT: Record<string, string> = {
  name: 'name',
  host: 'host',
  status: 'status',
  created_at: 'createdAt',
};
const DID_SORT: Record<string, string> = { number: 'number', created_at: 'createdAt' };
const ROUTE_SORT: Record<string, string> = {
  name: 'name',
  prefix: 'prefix',
  priority: 'priority',
  created_at: 'createdAt',
};

export type TrunkFields = Pick<
  TrunkEntity,
  'name' | 'host' | 'port' | 'transport' | 'authUsername' | 'inboundCidrs' | 'maxChannels' | 'status' | 'allowUnanchoredMedia'
> &
  Partial<Pick<TrunkEntity, 'register' | 'registerExpires'>>;

/** A trunk's sealed outbound secret: `v<version>.<iv>.<tag>.<ciphertext>` and its key version. */
export interface SealedSecret {
  ciphertext: string;
  keyVersion: number;
}

export interface StoredTrunkSecret extends SealedSecret {
  id: string;
  tenantId: string;
}

/** Trunks with their secret columns; only `findSecret` and the rewrap methods read the ciphertext. */
@Injectable()
export class TrunksRepository {
  constructor(private readonly ds: DataSource) {}

  private get repo(): Repository<TrunkEntity> {
    return managerOf(this.ds).getRepository(TrunkEntity);
  }

  findInTenant(tenantId: string, id: string): Promise<TrunkEntity | null> {
    return this.repo.findOneBy({ tenantId, id });
  }

  existsName(tenantId: string, name: string, exceptId?: string): Promise<boolean> {
    const qb = this.repo
      .createQueryBuilder('t')
      .where('t.tenantId = :tenantId AND t.name = :name', { tenantId, name });
    if (exceptId) qb.andWhere('t.id <> :exceptId', { exceptId });
    return qb.getExists();
  }

  list(tenantId: string, q: ListQuery): Promise<Page<TrunkEntity>> {
    const qb = this.repo.createQueryBuilder('t').where('t.tenantId = :tenantId', { tenantId });
    if (q.filters.status) qb.andWhere('t.status = :status', { status: q.filters.status });
    if (q.filters.transport) qb.andWhere('t.transport = :transport', { transport: q.filters.transport });
    if (q.filters.name) qb.andWhere('t.name ILIKE :name', { name: `%${escapeLike(q.filters.name)}%` });
    return pageOf(qb, q, TRUNK_SORT);
  }

  /** The id is chosen by the caller, because the secret's AAD names the row before it exists. */
  async create(
    data: TrunkFields & { id: string; tenantId: string; secret: SealedSecret | null },
  ): Promise<void> {
    const { secret, ...fields } = data;
    await this.repo.insert({
      ...fields,
      authSecretCiphertext: secret?.ciphertext ?? null,
      authSecretKeyVersion: secret?.keyVersion ?? null,
    });
  }

  async update(id: string, patch: Partial<TrunkFields>, secret?: SealedSecret | null): Promise<void> {
    const values: Partial<TrunkEntity> = { ...patch };
    if (secret !== undefined) {
      values.authSecretCiphertext = secret?.ciphertext ?? null;
      values.authSecretKeyVersion = secret?.keyVersion ?? null;
    }
    if (Object.keys(values).length) await this.repo.update({ id }, values);
  }

  async findSecret(tenantId: string, id: string): Promise<StoredTrunkSecret | null> {
    const rows: Array<{ id: string; tenant_id: string; c: string; v: number }> = await managerOf(this.ds).query(
      `SELECT id, tenant_id, auth_secret_ciphertext AS c, auth_secret_key_version AS v
         FROM trunks WHERE tenant_id = $1 AND id = $2 AND auth_secret_ciphertext IS NOT NULL`,
      [tenantId, id],
    );
    return rows[0]
      ? { id: rows[0].id, tenantId: rows[0].tenant_id, ciphertext: rows[0].c, keyVersion: rows[0].v }
      : null;
  }

  /** Secrets sealed under any key version other than `current`, a batch at a time, for the rewrap CLI. */
  async findSecretsNotUnder(
    current: number,
    limit: number,
    afterId = '00000000-0000-0000-0000-000000000000',
  ) {
    const rows: Array<{ id: string; tenant_id: string; c: string; v: number }> = await managerOf(this.ds).query(
      `SELECT id, tenant_id, auth_secret_ciphertext AS c, auth_secret_key_version AS v FROM trunks
        WHERE auth_secret_ciphertext IS NOT NULL AND auth_secret_key_version <> $1 AND id > $2
        ORDER BY id LIMIT $3`,
      [current, afterId, limit],
    );
    return rows.map((r): StoredTrunkSecret => ({
      id: r.id,
      tenantId: r.tenant_id,
      ciphertext: r.c,
      keyVersion: r.v,
    }));
  }

  /** Compare-and-swap, so a secret changed through the API meanwhile is never overwritten. */
  async replaceSecret(id: string, previous: string, next: SealedSecret): Promise<boolean> {
    const [, count]: [unknown, number] = await managerOf(this.ds).query(
      `UPDATE trunks SET auth_secret_ciphertext = $3, auth_secret_key_version = $4
        WHERE id = $1 AND auth_secret_ciphertext = $2`,
      [id, previous, next.ciphertext, next.keyVersion],
    );
    return count === 1;
  }

  /** Every trunk of a tenant, for outbound routing. */
  allOfTenant(tenantId: string): Promise<TrunkEntity[]> {
    return this.repo.find({ where: { tenantId }, order: { name: 'ASC', id: 'ASC' } });
  }

  /** Active trunks of every tenant that accept inbound calls, to identify an INVITE by its source. */
  allInbound(): Promise<TrunkEntity[]> {
    return this.repo
      .createQueryBuilder('t')
      .where("t.status = 'active' AND cardinality(t.inboundCidrs) > 0")
      .orderBy('t.id')
      .getMany();
  }

  /** Active trunks of every tenant that register upstream. */
  allRegistering(): Promise<TrunkEntity[]> {
    return this.repo.find({ where: { status: 'active', register: true }, order: { id: 'ASC' } });
  }

  async countReferences(id: string): Promise<{ dids: number; routes: number }> {
    const [dids, routes] = await Promise.all([
      managerOf(this.ds).getRepository(DidEntity).countBy({ trunkId: id }),
      managerOf(this.ds).getRepository(OutboundRouteEntity).countBy({ trunkId: id }),
    ]);
    return { dids, routes };
  }

  async delete(tenantId: string, id: string): Promise<void> {
    await this.repo.delete({ tenantId, id });
  }
}

export type DidFields = Pick<DidEntity, 'number' | 'trunkId' | 'extensionId'>;

@Injectable()
export class DidsRepository {
  constructor(private readonly ds: DataSource) {}

  private get repo(): Repository<DidEntity> {
    return managerOf(this.ds).getRepository(DidEntity);
  }

  findInTenant(tenantId: string, id: string): Promise<DidEntity | null> {
    return this.repo.findOneBy({ tenantId, id });
  }

  /** DID numbers are unique across all tenants: a number rings in one place only. */
  async existsNumber(number: string, exceptId?: string): Promise<boolean> {
    const qb = this.repo.createQueryBuilder('d').where('d.number = :number', { number });
    if (exceptId) qb.andWhere('d.id <> :exceptId', { exceptId });
    return qb.getExists();
  }

  list(tenantId: string, q: ListQuery): Promise<Page<DidEntity>> {
    const qb = this.repo.createQueryBuilder('d').where('d.tenantId = :tenantId', { tenantId });
    if (q.filters.trunk_id)
      qb.andWhere('CAST(d.trunkId AS text) = :trunkId', { trunkId: q.filters.trunk_id });
    if (q.filters.extension_id)
      qb.andWhere('CAST(d.extensionId AS text) = :ext', { ext: q.filters.extension_id });
    if (q.filters.number)
      qb.andWhere('d.number LIKE :number', { number: `${escapeLike(q.filters.number)}%` });
    return pageOf(qb, q, DID_SORT);
  }

  /** The DID with this E.164 number, whatever its tenant (numbers are unique). */
  findByNumber(number: string): Promise<DidEntity | null> {
    return this.repo.findOneBy({ number });
  }

  /** The numbers of an extension's DIDs, oldest first (the first is its outbound caller ID). */
  async numbersOfExtension(tenantId: string, extensionId: string): Promise<string[]> {
    const rows = await this.repo.find({ where: { tenantId, extensionId }, order: { createdAt: 'ASC', number: 'ASC' } });
    return rows.map((d) => d.number);
  }

  create(data: DidFields & { tenantId: string }): Promise<DidEntity> {
    return this.repo.save(this.repo.create(data));
  }

  async update(did: DidEntity, patch: Partial<DidFields>): Promise<DidEntity> {
    return this.repo.save(Object.assign(did, patch));
  }

  async delete(tenantId: string, id: string): Promise<void> {
    await this.repo.delete({ tenantId, id });
  }
}

export type OutboundRouteFields = Pick<OutboundRouteEntity, 'name' | 'prefix' | 'priority' | 'trunkId'>;

@Injectable()
export class OutboundRoutesRepository {
  constructor(private readonly ds: DataSource) {}

  private get repo(): Repository<OutboundRouteEntity> {
    return managerOf(this.ds).getRepository(OutboundRouteEntity);
  }

  findInTenant(tenantId: string, id: string): Promise<OutboundRouteEntity | null> {
    return this.repo.findOneBy({ tenantId, id });
  }

  existsName(tenantId: string, name: string, exceptId?: string): Promise<boolean> {
    const qb = this.repo
      .createQueryBuilder('r')
      .where('r.tenantId = :tenantId AND r.name = :name', { tenantId, name });
    if (exceptId) qb.andWhere('r.id <> :exceptId', { exceptId });
    return qb.getExists();
  }

  list(tenantId: string, q: ListQuery): Promise<Page<OutboundRouteEntity>> {
    const qb = this.repo.createQueryBuilder('r').where('r.tenantId = :tenantId', { tenantId });
    if (q.filters.trunk_id)
      qb.andWhere('CAST(r.trunkId AS text) = :trunkId', { trunkId: q.filters.trunk_id });
    if (q.filters.name) qb.andWhere('r.name ILIKE :name', { name: `%${escapeLike(q.filters.name)}%` });
    return pageOf(qb, q, ROUTE_SORT);
  }

  /** Every route of the tenant, in a fixed order (priority, then name), for route selection. */
  allOfTenant(tenantId: string): Promise<OutboundRouteEntity[]> {
    return this.repo.find({ where: { tenantId }, order: { priority: 'ASC', name: 'ASC', id: 'ASC' } });
  }

  create(data: OutboundRouteFields & { tenantId: string }): Promise<OutboundRouteEntity> {
    return this.repo.save(this.repo.create(data));
  }

  async update(
    route: OutboundRouteEntity,
    patch: Partial<OutboundRouteFields>,
  ): Promise<OutboundRouteEntity> {
    return this.repo.save(Object.assign(route, patch));
  }

  async delete(tenantId: string, id: string): Promise<void> {
    await this.repo.delete({ tenantId, id });
  }
}

export const TRUNK_SORTABLE = Object.keys(TRUNK_SORT);
export const DID_SORTABLE = Object.keys(DID_SORT);
export const OUTBOUND_ROUTE_SORTABLE = Object.keys(ROUTE_SORT);
