import { afterCommit, AuditLogRepository, createDataSource, managerOf, TenantsRepository, transaction } from '@pbx/database';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';

const KEY = 'k'.repeat(64);

describe('unit of work (transaction, withAudit, afterCommit)', () => {
  let ds: DataSource;
  let audit: AuditLogRepository;
  let tenants: TenantsRepository;
  const slug = () => `uow-${randomUUID().slice(0, 12)}`;
  const exists = async (s: string) => (await ds.query(`SELECT 1 FROM tenants WHERE slug = $1`, [s])).length === 1;
  const audited = async (s: string) =>
    (await ds.query(`SELECT 1 FROM audit_log WHERE action = 'test.uow' AND metadata->>'slug' = $1`, [s])).length;
  const entry = (s: string) => ({
    tenantId: null,
    actorUserId: null,
    actorEmail: 'uow@example.test',
    action: 'test.uow',
    targetType: null,
    targetId: null,
    ip: null,
    userAgent: null,
    result: 'success' as const,
    metadata: { slug: s },
  });

  beforeAll(async () => {
    ds = await createDataSource({ url: process.env.DATABASE_URL as string, poolSize: 4 }).initialize();
    audit = new AuditLogRepository(ds);
    tenants = new TenantsRepository(ds);
  });
  afterAll(() => ds.destroy());

  it('commit the change and its audit entry together', async () => {
    const s = slug();
    await audit.withAudit(KEY, async (a) => {
      await tenants.create({ name: s, slug: s });
      a.record(entry(s));
    });
    expect([await exists(s), await audited(s)]).toEqual([true, 1]);
  });

  it('roll both back when the work fails after writing, and never run afterCommit hooks', async () => {
    const s = slug();
    const hook = jest.fn(async () => undefined);
    await expect(
      audit.withAudit(KEY, async (a) => {
        await tenants.create({ name: s, slug: s });
        await audit.append(KEY, entry(s));
        await afterCommit(hook);
        a.record(entry(s));
        throw new Error('crash after the change');
      }),
    ).rejects.toThrow('crash after the change');
    expect([await exists(s), await audited(s)]).toEqual([false, 0]);
    expect(hook).not.toHaveBeenCalled();
  });

  it('run afterCommit hooks once the outermost transaction has committed', async () => {
    const s = slug();
    const seen: boolean[] = [];
    await transaction(ds, async () => {
      await tenants.create({ name: s, slug: s });
      await transaction(ds, async () => afterCommit(async () => void seen.push(await exists(s))));
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual([true]);
  });

  it('keep an independent entry (a denial) when the change around it rolls back', async () => {
    const s = slug();
    await expect(
      audit.withAudit(KEY, async () => {
        await audit.append(KEY, { ...entry(s), result: 'denied' }, { independent: true });
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await audited(s)).toBe(1);
  });

  it('roll a nested transaction back to its savepoint only', async () => {
    const s = slug();
    await transaction(ds, async () => {
      await tenants.create({ name: s, slug: s });
      await expect(
        transaction(ds, async () => {
          await tenants.create({ name: s, slug: `${s}-x` });
          throw new Error('inner');
        }),
      ).rejects.toThrow('inner');
      expect(managerOf(ds)).not.toBe(ds.manager);
    });
    expect([await exists(s), await exists(`${s}-x`)]).toEqual([true, false]);
  });
});
