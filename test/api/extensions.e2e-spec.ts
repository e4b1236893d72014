import { AuditLogRepository } from '@pbx/database';
import { login, seedTenant, seedUser, startApi, TestApi } from './harness';

const EXTENSION_KEYS = ['created_at', 'id', 'name', 'number', 'tenant_id', 'updated_at', 'user_id'];

describe('extensions: /api/v1/extensions', () => {
  let api: TestApi;
  let tenantA: { id: string };
  let tenantB: { id: string };
  let tokenA: string;
  let tokenB: string;
  let agentToken: string;
  let auditorToken: string;
  let userA: string;
  let userB: string;
  const num = () => String(1000 + Math.floor(Math.random() * 8_999_000));

  beforeAll(async () => {
    api = await startApi();
    tenantA = await seedTenant(api, 'Ext A');
    tenantB = await seedTenant(api, 'Ext B');
    const adminA = await seedUser(api, tenantA.id, ['tenant_admin']);
    tokenA = (await login(api, adminA)).access;
    tokenB = (await login(api, await seedUser(api, tenantB.id, ['tenant_admin']))).access;
    agentToken = (await login(api, await seedUser(api, tenantA.id, ['agent']))).access;
    auditorToken = (await login(api, await seedUser(api, tenantA.id, ['auditor']))).access;
    userA = (await seedUser(api, tenantA.id, ['agent'])).id;
    userB = (await seedUser(api, tenantB.id, ['agent'])).id;
  });
  afterAll(() => api.close());

  const create = (body: unknown, token = tokenA) =>
    api.request('POST', '/api/v1/extensions', { token, body });

  it('creates, shows, updates and deletes an extension, auditing each change', async () => {
    const number = num();
    const res = await create({ number, name: '  Reception ', user_id: userA });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body)).toEqual(['data']);
    expect(Object.keys(res.body.data).sort()).toEqual(EXTENSION_KEYS);
    expect(res.body.data).toMatchObject({ tenant_id: tenantA.id, number, name: 'Reception', user_id: userA });
    const id: string = res.body.data.id;

    const show = await api.request('GET', `/api/v1/extensions/${id}`, { token: auditorToken });
    expect(show.status).toBe(200);
    expect(show.body.data).toEqual(res.body.data);

    const upd = await api.request('PATCH', `/api/v1/extensions/${id}`, {
      token: tokenA,
      body: { name: 'Front desk', user_id: null },
    });
    expect(upd.status).toBe(200);
    expect(upd.body.data).toMatchObject({ number, name: 'Front desk', user_id: null });

    const put = await api.request('PUT', `/api/v1/extensions/${id}`, {
      token: tokenA,
      body: { number: `${number}9` },
    });
    expect(put.status).toBe(200);
    expect(put.body.data).toMatchObject({ number: `${number}9`, name: 'Front desk' });

    const del = await api.request('DELETE', `/api/v1/extensions/${id}`, { token: tokenA });
    expect(del.status).toBe(204);
    expect((await api.request('GET', `/api/v1/extensions/${id}`, { token: tokenA })).status).toBe(404);

    const audit = await api.app
      .get(AuditLogRepository)
      .list(tenantA.id, { page: 1, perPage: 100, sort: [], filters: { target_id: id } });
    expect(audit.items.map((a) => [a.action, a.metadata]).reverse()).toEqual([
      ['extension.created', { number }],
      ['extension.updated', { fields: ['name', 'user_id'] }],
      ['extension.updated', { fields: ['number'] }],
      ['extension.deleted', { number: `${number}9` }],
    ]);
  });

  it('answers 422 with Laravel field errors', async () => {
    const res = await create({ number: '1', name: '', user_id: 'nope', extra: true });
    expect(res.status).toBe(422);
    expect(res.body.message).toMatch(/\(and \d+ more errors?\)$/);
    expect(res.body.errors).toEqual({
      number: ['The number field must be 2 to 10 digits.'],
      name: ['The name field is required.'],
      user_id: ['The selected user_id is invalid.'],
      extra: ['The extra field is not allowed.'],
    });
    expect((await create({ number: '12345678901', name: 'x' })).body.errors).toEqual({
      number: ['The number field must be 2 to 10 digits.'],
    });
  });

  it('refuses a duplicate number in the tenant, but allows it in another tenant', async () => {
    const number = num();
    expect((await create({ number, name: 'One' })).status).toBe(201);
    const dup = await create({ number, name: 'Two' });
    expect(dup.status).toBe(422);
    expect(dup.body).toEqual({
      message: 'The number has already been taken.',
      errors: { number: ['The number has already been taken.'] },
    });
    expect((await create({ number, name: 'Elsewhere' }, tokenB)).status).toBe(201);
    const other = await create({ number: num(), name: 'Three' });
    const clash = await api.request('PATCH', `/api/v1/extensions/${other.body.data.id}`, {
      token: tokenA,
      body: { number },
    });
    expect(clash.status).toBe(422);
    expect(clash.body.errors).toEqual({ number: ['The number has already been taken.'] });
  });

  it('refuses a user of another tenant, exactly like an unknown user', async () => {
    for (const user_id of [userB, '00000000-0000-4000-8000-000000000000']) {
      const res = await create({ number: num(), name: 'X', user_id });
      expect(res.status).toBe(422);
      expect(res.body.errors).toEqual({ user_id: ['The selected user_id is invalid.'] });
    }
  });

  it('refuses to delete an extension while a device uses it', async () => {
    const ext = await create({ number: num(), name: 'Busy' });
    const dev = await api.request('POST', '/api/v1/devices', {
      token: tokenA,
      body: { extension_id: ext.body.data.id, name: 'Desk phone' },
    });
    expect(dev.status).toBe(201);
    const del = await api.request('DELETE', `/api/v1/extensions/${ext.body.data.id}`, { token: tokenA });
    expect(del.status).toBe(422);
    expect(del.body.errors).toEqual({ id: ['The extension still has 1 device; delete or move them first.'] });
    expect(
      (await api.request('DELETE', `/api/v1/devices/${dev.body.data.id}`, { token: tokenA })).status,
    ).toBe(204);
    expect(
      (await api.request('DELETE', `/api/v1/extensions/${ext.body.data.id}`, { token: tokenA })).status,
    ).toBe(204);
  });

  it("answers another tenant's extension with 404 on every verb, and never lists it", async () => {
    const foreign = await create({ number: num(), name: 'Foreign' }, tokenB);
    const id: string = foreign.body.data.id;
    for (const [method, body] of [
      ['GET'],
      ['PATCH', { name: 'x' }],
      ['PUT', { name: 'x' }],
      ['DELETE'],
    ] as const) {
      const res = await api.request(method, `/api/v1/extensions/${id}`, { token: tokenA, body });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ message: 'Not Found.' });
    }
    expect((await api.request('GET', '/api/v1/extensions/not-a-uuid', { token: tokenA })).status).toBe(404);
    const list = await api.request('GET', '/api/v1/extensions?per_page=100', { token: tokenA });
    expect(list.body.data.every((e: { tenant_id: string }) => e.tenant_id === tenantA.id)).toBe(true);
    expect(list.text).not.toContain(id);
    expect((await api.request('GET', `/api/v1/extensions/${id}`, { token: tokenB })).status).toBe(200);
  });

  it('lists with filters, sort and Laravel pagination; rejects unknown filters', async () => {
    const t = await seedTenant(api, 'Ext list');
    const token = (await login(api, await seedUser(api, t.id, ['tenant_admin']))).access;
    for (const number of ['300', '101', '200', '1011'])
      expect((await create({ number, name: `E${number}` }, token)).status).toBe(201);
    const page = await api.request('GET', '/api/v1/extensions?per_page=2&page=2', { token });
    expect(page.body.data.map((e: { number: string }) => e.number)).toEqual(['200', '300']);
    expect(page.body.meta).toMatchObject({ current_page: 2, last_page: 2, total: 4, from: 3, to: 4 });
    const desc = await api.request('GET', '/api/v1/extensions?sort=-number&filter[number]=10', { token });
    expect(desc.body.data.map((e: { number: string }) => e.number)).toEqual(['1011', '101']);
    const bad = await api.request('GET', '/api/v1/extensions?filter[secret]=1&sort=ha1', { token });
    expect(bad.status).toBe(422);
    expect(Object.keys(bad.body.errors).sort()).toEqual(['filter.secret', 'sort']);
  });

  it('requires the permissions: agents see nothing, auditors cannot write', async () => {
    expect((await api.request('GET', '/api/v1/extensions', { token: agentToken })).status).toBe(403);
    expect((await create({ number: num(), name: 'No' }, auditorToken)).status).toBe(403);
    expect((await api.request('GET', '/api/v1/extensions')).status).toBe(401);
  });

  it('is documented in the OpenAPI spec', async () => {
    const doc = await api.request('GET', '/api/docs-json');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/api/v1/extensions', '/api/v1/extensions/{id}']),
    );
    expect(doc.body.paths['/api/v1/extensions'].post.responses).toHaveProperty('422');
    expect(doc.body.components.schemas.CreateExtensionDto.properties).toHaveProperty('number');
  });
});
