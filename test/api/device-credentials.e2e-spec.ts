import { AuditLogRepository } from '@pbx/database';
import { login, seedUser } from './harness';
import { md5, sha256, startApiCapturingLogs, useDeviceSuite } from './telephony-helpers';

const DEVICE_KEYS = [
  'allowed_cidrs',
  'created_at',
  'credentials_rotated_at',
  'digest_algorithms',
  'extension_id',
  'id',
  'lock_level',
  'lock_reason',
  'max_registrations',
  'name',
  'sip_username',
  'status',
  'tenant_id',
  'transports',
  'updated_at',
];

describe('device credentials: /api/v1/devices', () => {
  const s = useDeviceSuite('device credentials');

  it('creates a device, reveals its password once, and stores only correct HA1s over the tenant realm', async () => {
    const since = Date.now();
    const res = await s.createDevice({});
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(['data', 'meta']);
    expect(Object.keys(res.body.data).sort()).toEqual(DEVICE_KEYS);
    expect(res.body.data).toMatchObject({
      tenant_id: s.tenantA.id,
      extension_id: s.extA,
      name: 'Desk phone',
      digest_algorithms: ['SHA-256', 'MD5'],
      transports: ['tls', 'wss'],
      allowed_cidrs: [],
      max_registrations: 3,
      status: 'active',
      lock_level: 0,
      lock_reason: null,
    });
    const { id, sip_username: username } = res.body.data;
    expect(username).toMatch(/^d[a-z2-7]{10}$/);
    const { sip_password: password, realm, warning } = res.body.meta;
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(realm).toBe(s.tenantA.slug);
    expect(warning).toMatch(/shown once/);

    const stored = await s.ha1s(id);
    expect(stored.ha1_md5).toBe(md5(`${username}:${realm}:${password}`));
    expect(stored.ha1_sha256).toBe(sha256(`${username}:${realm}:${password}`));
    s.secrets.push(password, stored.ha1_md5, stored.ha1_sha256);

    await s.inv.next((m) => m.kind === 'device' && m.id === id && m.tenantId === s.tenantA.id, since);
    await s.inv.next((m) => m.kind === 'credentials' && m.id === id, since);

    const later = [
      await s.api.request('GET', `/api/v1/devices/${id}`, { token: s.tokenA }),
      await s.api.request('GET', '/api/v1/devices?per_page=100', { token: s.tokenA }),
      await s.api.request('PATCH', `/api/v1/devices/${id}`, { token: s.tokenA, body: { name: 'Renamed' } }),
      await s.api.request('PATCH', `/api/v1/devices/${id}`, {
        token: s.tokenA,
        body: { max_registrations: 0 },
      }),
      await s.api.request('GET', '/api/v1/audit-log?per_page=100', { token: s.tokenA }),
    ];
    expect(later.map((r) => r.status)).toEqual([200, 200, 200, 422, 200]);
    expect(later[0].body.meta).toBeUndefined();
    for (const r of later)
      for (const s of [password, stored.ha1_md5, stored.ha1_sha256]) expect(r.text).not.toContain(s);
    const audit = await s.api.app
      .get(AuditLogRepository)
      .list(s.tenantA.id, { page: 1, perPage: 10, sort: [], filters: { target_id: id } });
    expect(audit.items.map((a) => [a.action, a.metadata]).reverse()).toEqual([
      ['device.created', { extension_id: s.extA, sip_username: username, username_generated: true }],
      ['device.updated', { fields: ['name'] }],
    ]);
  });

  it('rotates credentials: new password once, both old HA1s replaced at once, invalidation within 1 s', async () => {
    const created = await s.createDevice({ digest_algorithms: ['SHA-256'] });
    const { id, sip_username: username } = created.body.data;
    const oldPassword: string = created.body.meta.sip_password;
    const realm: string = created.body.meta.realm;
    const before = await s.ha1s(id);

    const since = Date.now();
    const res = await s.api.request('POST', `/api/v1/devices/${id}/credentials/rotate`, {
      token: s.tokenA,
    });
    expect(res.status).toBe(200);
    await s.inv.next(
      (m) => m.kind === 'credentials' && m.id === id && m.tenantId === s.tenantA.id,
      since,
      1000,
    );
    const newPassword: string = res.body.meta.sip_password;
    expect(newPassword).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(newPassword).not.toBe(oldPassword);
    expect(res.body.meta.realm).toBe(realm);
    expect(res.body.data).toMatchObject({ id, sip_username: username, digest_algorithms: ['SHA-256'] });
    expect(Date.parse(res.body.data.credentials_rotated_at)).toBeGreaterThan(
      Date.parse(created.body.data.credentials_rotated_at),
    );

    const after = await s.ha1s(id);
    expect(after.ha1_md5).toBe(md5(`${username}:${realm}:${newPassword}`));
    expect(after.ha1_sha256).toBe(sha256(`${username}:${realm}:${newPassword}`));
    expect(after.ha1_md5).not.toBe(md5(`${username}:${realm}:${oldPassword}`));
    expect(after.ha1_sha256).not.toBe(sha256(`${username}:${realm}:${oldPassword}`));
    expect(after.ha1_md5).not.toBe(before.ha1_md5);
    s.secrets.push(
      oldPassword,
      newPassword,
      before.ha1_md5,
      before.ha1_sha256,
      after.ha1_md5,
      after.ha1_sha256,
    );

    const show = await s.api.request('GET', `/api/v1/devices/${id}`, { token: s.tokenA });
    for (const s of [oldPassword, newPassword, after.ha1_md5, after.ha1_sha256])
      expect(show.text).not.toContain(s);
    const audit = await s.api.app.get(AuditLogRepository).list(s.tenantA.id, {
      page: 1,
      perPage: 10,
      sort: [],
      filters: { target_id: id, action: 'device.credentials_rotated' },
    });
    expect(audit.items.map((a) => a.metadata)).toEqual([{ sip_username: username }]);
  });

  it('accepts a client-chosen SIP username (lower-cased), unique per tenant', async () => {
    const name = `Desk.${Date.now().toString(36)}`;
    const res = await s.createDevice({ sip_username: name });
    expect(res.status).toBe(201);
    expect(res.body.data.sip_username).toBe(name.toLowerCase());
    s.secrets.push(res.body.meta.sip_password);
    const dup = await s.createDevice({ sip_username: name.toLowerCase() });
    expect(dup.status).toBe(422);
    expect(dup.body).toEqual({
      message: 'The sip_username has already been taken.',
      errors: { sip_username: ['The sip_username has already been taken.'] },
    });
    const elsewhere = await s.createDevice({ extension_id: s.extB, sip_username: name }, s.tokenB);
    expect(elsewhere.status).toBe(201);
    s.secrets.push(elsewhere.body.meta.sip_password);
    for (const bad of ['ab', 'a'.repeat(33), 'has space', 'ümlaut', 'a:b@c']) {
      const r = await s.createDevice({ sip_username: bad });
      expect(r.status).toBe(422);
      expect(Object.keys(r.body.errors)).toEqual(['sip_username']);
    }
  });

  it('needs devices.credentials to create or rotate: a supervisor may only look', async () => {
    const created = await s.createDevice({});
    s.secrets.push(created.body.meta.sip_password);
    const id = created.body.data.id;
    expect((await s.api.request('GET', `/api/v1/devices/${id}`, { token: s.supervisorToken })).status).toBe(
      200,
    );
    const rotate = await s.api.request('POST', `/api/v1/devices/${id}/credentials/rotate`, {
      token: s.supervisorToken,
    });
    expect(rotate.status).toBe(403);
    expect(rotate.body).toEqual({ message: 'This action is unauthorized.' });
    expect((await s.createDevice({}, s.supervisorToken)).status).toBe(403);
    expect(
      (await s.api.request('DELETE', `/api/v1/devices/${id}`, { token: s.supervisorToken })).status,
    ).toBe(403);
  });

  it('is documented: every route, the one-time meta, and no secret field in the resource', async () => {
    const doc = await s.api.request('GET', '/api/docs-json');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/devices',
        '/api/v1/devices/{id}',
        '/api/v1/devices/{id}/credentials/rotate',
      ]),
    );
    const created =
      doc.body.paths['/api/v1/devices'].post.responses['201'].content['application/json'].schema;
    expect(created.properties.meta.$ref).toBe('#/components/schemas/DeviceCredentialsMeta');
    expect(doc.body.components.schemas.DeviceCredentialsMeta.properties).toHaveProperty('sip_password');
    expect(Object.keys(doc.body.components.schemas.DeviceResource.properties)).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/ha1|password/)]),
    );
  });

  it('never writes a SIP password, an HA1 or a trunk password to the log, even at trace level', async () => {
    const { api, logs } = await startApiCapturingLogs(s.api.config);
    try {
      const token = (await login(api, await seedUser(api, s.tenantA.id, ['tenant_admin']))).access;
      const created = await api.request('POST', '/api/v1/devices', {
        token,
        body: { extension_id: s.extA, name: 'Logged' },
      });
      const rotated = await api.request(
        'POST',
        `/api/v1/devices/${created.body.data.id}/credentials/rotate`,
        {
          token,
        },
      );
      const trunkPassword = `trunk-${created.body.meta.sip_password}`;
      const trunk = await api.request('POST', '/api/v1/trunks', {
        token,
        body: { name: `Logged ${created.body.data.id}`, host: 'h.example', auth_password: trunkPassword },
      });
      const refused = await api.request('POST', '/api/v1/trunks', {
        token,
        body: { name: '', host: 'bad host', auth_password: trunkPassword },
      });
      expect([created.status, rotated.status, trunk.status, refused.status]).toEqual([201, 200, 201, 422]);
      expect(refused.text).not.toContain(trunkPassword);
      const digests = await s.ha1s(created.body.data.id);
      s.secrets.push(created.body.meta.sip_password, rotated.body.meta.sip_password, trunkPassword);
      const text = logs();
      // The capture works: the refused request was logged.
      expect(text).toContain('request failed');
      for (const secret of [
        created.body.meta.sip_password,
        rotated.body.meta.sip_password,
        digests.ha1_md5,
        digests.ha1_sha256,
        trunkPassword,
      ])
        expect(text).not.toContain(secret);
    } finally {
      await api.close();
    }
  });
});
