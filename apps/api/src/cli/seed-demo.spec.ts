import { computeHa1 } from '@pbx/common';
import type { DeviceDigests, DeviceEntity, DeviceInsert, ExtensionEntity, TenantEntity } from '@pbx/database';
import { DemoStores, rotateDemoPasswords, seedDemo } from './seed-demo';

/** In-memory stand-ins for the three repositories and the audit chain. */
function memoryStores() {
  const tenants: TenantEntity[] = [];
  const extensions: ExtensionEntity[] = [];
  const devices: Array<DeviceInsert & { id: string }> = [];
  const audit: string[] = [];
  let n = 0;
  const stores: DemoStores = {
    tenants: {
      findBySlug: (slug) => Promise.resolve(tenants.find((t) => t.slug === slug) ?? null),
      create: (data) => {
        const t = { id: `t${++n}`, sipRealm: data.slug, ...data } as TenantEntity;
        tenants.push(t);
        return Promise.resolve(t);
      },
    },
    extensions: {
      list: (tenantId, q) => {
        const items = extensions.filter(
          (e) => e.tenantId === tenantId && e.number.startsWith(q.filters.number),
        );
        return Promise.resolve({ items, total: items.length });
      },
      create: (data) => {
        const e = { id: `e${++n}`, ...data } as ExtensionEntity;
        extensions.push(e);
        return Promise.resolve(e);
      },
    },
    devices: {
      list: (tenantId, q) => {
        const items = devices.filter(
          (d) => d.tenantId === tenantId && d.sipUsername === q.filters.sip_username,
        );
        return Promise.resolve({ items: items as unknown as DeviceEntity[], total: items.length });
      },
      create: (data) => {
        devices.push({ id: `d${++n}`, ...data });
        return Promise.resolve(`d${n}`);
      },
      setDigests: (id, digests: DeviceDigests) => {
        Object.assign(devices.find((d) => d.id === id) ?? {}, digests);
        return Promise.resolve();
      },
    },
    audit: (_tenantId, action, target) => {
      audit.push(`${action} ${target.id}`);
      return Promise.resolve();
    },
  };
  return { stores, tenants, extensions, devices, audit };
}

describe('seedDemo', () => {
  it('creates the demo tenant, two extensions and a TLS/WSS device each, storing only HA1s of the printed passwords', async () => {
    const m = memoryStores();
    const r = await seedDemo(m.stores, 'pbx.local');
    expect(r.tenant).toMatchObject({ slug: 'demo', name: 'Demo', sipRealm: 'demo.pbx.local' });
    expect(m.extensions.map((e) => e.number)).toEqual(['1001', '1002']);
    expect(r.devices.map((d) => d.username)).toEqual(['1001', '1002']);
    for (const d of m.devices) {
      const shown = r.devices.find((p) => p.username === d.sipUsername)?.password ?? '';
      expect(shown).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(d).toMatchObject({
        transports: ['tls', 'wss'],
        digestAlgorithms: ['SHA-256', 'MD5'],
        maxRegistrations: 3,
        status: 'active',
      });
      expect(d.ha1Sha256).toBe(computeHa1('SHA-256', d.sipUsername, 'demo.pbx.local', shown));
      expect(d.ha1Md5).toBe(computeHa1('MD5', d.sipUsername, 'demo.pbx.local', shown));
      expect(JSON.stringify(d)).not.toContain(shown);
    }
    expect(r.devices[0].password).not.toBe(r.devices[1].password);
    expect(m.audit).toHaveLength(5);
  });

  it('changes nothing and reveals no password on a second run', async () => {
    const m = memoryStores();
    await seedDemo(m.stores, 'pbx.local');
    const before = JSON.stringify([m.tenants, m.extensions, m.devices]);
    const again = await seedDemo(m.stores, 'pbx.local');
    expect(JSON.stringify([m.tenants, m.extensions, m.devices])).toBe(before);
    expect(again.devices.map((d) => d.password)).toEqual([undefined, undefined]);
    expect(again.changed).toEqual([]);
    expect(m.audit).toHaveLength(5);
  });

  it('creates only what is missing (a deleted device comes back with a new password)', async () => {
    const m = memoryStores();
    await seedDemo(m.stores, 'pbx.local');
    m.devices.splice(1, 1);
    const r = await seedDemo(m.stores, 'pbx.local');
    expect(r.devices.map((d) => d.password === undefined)).toEqual([true, false]);
    expect(m.tenants).toHaveLength(1);
    expect(m.extensions).toHaveLength(2);
  });
});

describe('rotateDemoPasswords', () => {
  it('replaces both HA1s of each demo device with those of a new, printed password', async () => {
    const m = memoryStores();
    const first = await seedDemo(m.stores, 'pbx.local');
    const r = await rotateDemoPasswords(m.stores);
    expect(r.changed).toHaveLength(2);
    for (const [i, d] of m.devices.entries()) {
      const pw = r.devices[i].password ?? '';
      expect(pw).not.toBe(first.devices[i].password);
      expect(d.ha1Sha256).toBe(computeHa1('SHA-256', d.sipUsername, 'demo.pbx.local', pw));
      expect(d.ha1Md5).toBe(computeHa1('MD5', d.sipUsername, 'demo.pbx.local', pw));
    }
    expect(m.audit.filter((a) => a.startsWith('device.credentials_rotated'))).toHaveLength(2);
  });

  it('refuses when there is no demo tenant, naming the command that creates it', async () => {
    await expect(rotateDemoPasswords(memoryStores().stores)).rejects.toThrow('`npm run up` creates it');
  });
});
