import { AuditLogRepository } from '@pbx/database';
import { login, seedTenant, seedUser } from './harness';
import { useDeviceSuite } from './telephony-helpers';

describe('devices: /api/v1/devices', () => {
  const s = useDeviceSuite('devices');

  it('validates every field with Laravel field errors', async () => {
    const res = await s.createDevice({
      extension_id: 'nope',
      name: '',
      digest_algorithms: ['SHA-1'],
      transports: [],
      allowed_cidrs: ['10.0.0.0/33', 'not-an-ip', '::1/129', '010.0.0.1/8'],
      max_registrations: 101,
      status: 'locked',
      lock_level: 3,
    });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual({
      extension_id: ['The selected extension_id is invalid.'],
      name: ['The name field is required.'],
      digest_algorithms: ['The selected digest_algorithms are invalid. Allowed: SHA-256, MD5.'],
      transports: ['The transports field must have at least 1 item.'],
      allowed_cidrs: [
        'Each allowed_cidrs item must be an IPv4 or IPv6 CIDR, e.g. 203.0.113.0/24 or 2001:db8::/32.',
      ],
      max_registrations: ['The max_registrations field must be between 1 and 100.'],
      status: ['The selected status is invalid. Allowed: active, suspended.'],
      lock_level: ['The lock_level field is not allowed.'],
    });
    expect(res.text).not.toMatch(/sip_password/);
  });

  it('normalises CIDRs (bare addresses become host routes) and stores the chosen settings', async () => {
    const res = await s.createDevice({
      allowed_cidrs: ['203.0.113.0/24', '2001:DB8::/32', '198.51.100.7', '::1'],
      transports: ['udp', 'wss'],
      digest_algorithms: ['MD5'],
      max_registrations: 100,
      status: 'suspended',
    });
    expect(res.status).toBe(201);
    s.secrets.push(res.body.meta.sip_password);
    expect(res.body.data).toMatchObject({
      allowed_cidrs: ['203.0.113.0/24', '2001:db8::/32', '198.51.100.7/32', '::1/128'],
      transports: ['udp', 'wss'],
      digest_algorithms: ['MD5'],
      max_registrations: 100,
      status: 'suspended',
    });
  });

  it('updates settings, audits the changed field names only, and publishes an invalidation', async () => {
    const created = await s.createDevice({});
    s.secrets.push(created.body.meta.sip_password);
    const id = created.body.data.id;
    const since = Date.now();
    const res = await s.api.request('PUT', `/api/v1/devices/${id}`, {
      token: s.tokenA,
      body: {
        extension_id: s.extA2,
        status: 'suspended',
        transports: ['wss', 'tls'],
        allowed_cidrs: ['192.0.2.0/24'],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      extension_id: s.extA2,
      status: 'suspended',
      allowed_cidrs: ['192.0.2.0/24'],
    });
    await s.inv.next((m) => m.kind === 'device' && m.id === id, since);
    const audit = await s.api.app.get(AuditLogRepository).list(s.tenantA.id, {
      page: 1,
      perPage: 10,
      sort: [],
      filters: { target_id: id, action: 'device.updated' },
    });
    expect(audit.items.map((a) => a.metadata)).toEqual([
      { fields: ['allowed_cidrs', 'extension_id', 'status'] },
    ]);

    for (const body of [
      { sip_username: 'newname' },
      { lock_level: 0 },
      { lock_reason: 'x' },
      { realm: 'x' },
    ]) {
      const r = await s.api.request('PATCH', `/api/v1/devices/${id}`, { token: s.tokenA, body });
      expect(r.status).toBe(422);
      expect(r.body.errors).toEqual({
        [Object.keys(body)[0]]: [`The ${Object.keys(body)[0]} field is not allowed.`],
      });
    }
    const foreign = await s.api.request('PATCH', `/api/v1/devices/${id}`, {
      token: s.tokenA,
      body: { extension_id: s.extB },
    });
    expect(foreign.status).toBe(422);
    expect(foreign.body.errors).toEqual({ extension_id: ['The selected extension_id is invalid.'] });
  });

  it('keeps a locked device locked: its status cannot be edited', async () => {
    const created = await s.createDevice({});
    s.secrets.push(created.body.meta.sip_password);
    const id = created.body.data.id;
    await s.ds.query(
      `UPDATE devices SET status = 'locked', lock_level = 3, lock_reason = 'fraud' WHERE id = $1`,
      [id],
    );
    const res = await s.api.request('PATCH', `/api/v1/devices/${id}`, {
      token: s.tokenA,
      body: { status: 'active' },
    });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual({
      status: ['The device is locked; lift the lock to change its status.'],
    });
    const show = await s.api.request('GET', `/api/v1/devices/${id}`, { token: s.tokenA });
    expect(show.body.data).toMatchObject({ status: 'locked', lock_level: 3, lock_reason: 'fraud' });
    expect(
      (
        await s.api.request('PATCH', `/api/v1/devices/${id}`, {
          token: s.tokenA,
          body: { name: 'Still locked' },
        })
      ).status,
    ).toBe(200);
  });

  it('filters by extension_id and status, and rejects bad filter values', async () => {
    const t = await seedTenant(s.api, 'Dev list');
    const token = (await login(s.api, await seedUser(s.api, t.id, ['tenant_admin']))).access;
    const e1 = await s.createExt(token, '10');
    const e2 = await s.createExt(token, '20');
    for (const [ext, name, status] of [
      [e1, 'a', 'active'],
      [e1, 'b', 'suspended'],
      [e2, 'c', 'active'],
    ]) {
      const r = await s.createDevice({ extension_id: ext, name, status }, token);
      expect(r.status).toBe(201);
      s.secrets.push(r.body.meta.sip_password);
    }
    const names = async (q: string) => {
      const res = await s.api.request('GET', `/api/v1/devices?${q}`, { token });
      expect(res.text).toMatch(/^\{"data"/);
      return res.body.data.map((d: { name: string }) => d.name);
    };
    expect(await names(`filter[extension_id]=${e1}`)).toEqual(['a', 'b']);
    expect(await names('filter[status]=active&sort=-name')).toEqual(['c', 'a']);
    expect(await names(`filter[extension_id]=${e1}&filter[status]=suspended`)).toEqual(['b']);
    const bad = await s.api.request('GET', '/api/v1/devices?filter[status]=gone&filter[extension_id]=x', {
      token,
    });
    expect(bad.status).toBe(422);
    expect(Object.keys(bad.body.errors).sort()).toEqual(['filter.extension_id', 'filter.status']);
  });

  it("answers another tenant's device with 404 on every route, and never lists it", async () => {
    const foreign = await s.createDevice({ extension_id: s.extB }, s.tokenB);
    s.secrets.push(foreign.body.meta.sip_password);
    const id = foreign.body.data.id;
    const before = await s.ha1s(id);
    for (const [method, path, body] of [
      ['GET', `/api/v1/devices/${id}`],
      ['PATCH', `/api/v1/devices/${id}`, { name: 'x' }],
      ['PUT', `/api/v1/devices/${id}`, { name: 'x' }],
      ['DELETE', `/api/v1/devices/${id}`],
      ['POST', `/api/v1/devices/${id}/credentials/rotate`],
    ] as const) {
      const res = await s.api.request(method, path, { token: s.tokenA, body });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ message: 'Not Found.' });
    }
    expect(await s.ha1s(id)).toEqual(before);
    expect(
      (await s.api.request('GET', '/api/v1/devices?per_page=100', { token: s.tokenA })).text,
    ).not.toContain(id);
    expect(
      (await s.api.request('POST', '/api/v1/devices/nope/credentials/rotate', { token: s.tokenA })).status,
    ).toBe(404);
  });

  it('deletes a device and publishes the invalidation', async () => {
    const created = await s.createDevice({});
    s.secrets.push(created.body.meta.sip_password);
    const id = created.body.data.id;
    const since = Date.now();
    expect((await s.api.request('DELETE', `/api/v1/devices/${id}`, { token: s.tokenA })).status).toBe(204);
    await s.inv.next((m) => m.kind === 'credentials' && m.id === id, since);
    expect((await s.api.request('GET', `/api/v1/devices/${id}`, { token: s.tokenA })).status).toBe(404);
    expect(await s.ds.query('SELECT 1 FROM devices WHERE id = $1', [id])).toEqual([]);
  });
});
