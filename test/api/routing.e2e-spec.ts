import { AuditLogRepository, TenantsRepository } from '@pbx/database';
import { randomInt } from 'node:crypto';
import { login, seedTenant, seedUser, startApi, TestApi } from './harness';

/** A London number no other run is likely to hold (DIDs are unique across every tenant). */
const londonNational = () => `020 ${randomInt(7000, 7999)} ${String(randomInt(0, 10000)).padStart(4, '0')}`;
const e164Of = (national: string) => `+44${national.replace(/\s/g, '').slice(1)}`;

describe('DIDs and outbound routes', () => {
  let api: TestApi;
  let tenantA: { id: string };
  let tenantB: { id: string };
  let platformToken: string;
  let tokenA: string;
  let tokenB: string;
  let trunkA: string;
  let trunkA2: string;
  let trunkB: string;
  let extA: string;
  let extB: string;

  const post = (path: string, body: unknown, token = tokenA) => api.request('POST', path, { token, body });
  /** A fresh London number, assigned to the tenant by the platform admin as numbers must be. */
  const assigned = async (tenantId = tenantA.id): Promise<string> => {
    const national = londonNational();
    const res = await post(`/api/v1/tenants/${tenantId}/numbers`, { number: e164Of(national) }, platformToken);
    expect(res.status).toBe(201);
    return national;
  };

  beforeAll(async () => {
    api = await startApi();
    tenantA = await seedTenant(api, 'Routing A');
    tenantB = await seedTenant(api, 'Routing B');
    const platform = await seedTenant(api, 'Routing platform');
    platformToken = (await login(api, await seedUser(api, platform.id, ['platform_admin']))).access;
    await api.app.get(TenantsRepository).update(tenantA.id, { defaultCountry: 'GB' });
    tokenA = (await login(api, await seedUser(api, tenantA.id, ['tenant_admin']))).access;
    tokenB = (await login(api, await seedUser(api, tenantB.id, ['tenant_admin']))).access;
    trunkA = (await post('/api/v1/trunks', { name: 'Primary', host: 'a.carrier.example' })).body.data.id;
    trunkA2 = (
      await post('/api/v1/trunks', { name: 'Backup', host: 'b.carrier.example', status: 'disabled' })
    ).body.data.id;
    trunkB = (await post('/api/v1/trunks', { name: 'Primary', host: 'a.carrier.example' }, tokenB)).body.data
      .id;
    extA = (await post('/api/v1/extensions', { number: '100', name: 'Reception' })).body.data.id;
    extB = (await post('/api/v1/extensions', { number: '100', name: 'Reception' }, tokenB)).body.data.id;
  });
  afterAll(() => api.close());

  describe('/api/v1/dids', () => {
    it("normalises a national number in the tenant's country to E.164 and audits it", async () => {
      const national = await assigned();
      const res = await post('/api/v1/dids', { number: national, trunk_id: trunkA, extension_id: extA });
      expect(res.status).toBe(201);
      expect(Object.keys(res.body.data).sort()).toEqual([
        'created_at',
        'extension_id',
        'id',
        'number',
        'tenant_id',
        'trunk_id',
        'updated_at',
      ]);
      expect(res.body.data).toMatchObject({
        number: e164Of(national),
        trunk_id: trunkA,
        extension_id: extA,
        tenant_id: tenantA.id,
      });
      const audit = await api.app
        .get(AuditLogRepository)
        .list(tenantA.id, { page: 1, perPage: 5, sort: [], filters: { target_id: res.body.data.id } });
      expect(audit.items.map((a) => [a.action, a.metadata])).toEqual([
        ['did.created', { number: e164Of(national), trunk_id: trunkA }],
      ]);

      const upd = await api.request('PATCH', `/api/v1/dids/${res.body.data.id}`, {
        token: tokenA,
        body: { extension_id: null, trunk_id: trunkA2 },
      });
      expect(upd.status).toBe(200);
      expect(upd.body.data).toMatchObject({ extension_id: null, trunk_id: trunkA2 });
    });

    it('keeps a number unique across tenants, however it is written', async () => {
      const national = await assigned();
      expect((await post('/api/v1/dids', { number: national, trunk_id: trunkA })).status).toBe(201);
      const spelled = e164Of(national).replace(/^\+44(\d{2})(\d{4})(\d{4})$/, '+44 ($1) $2-$3');
      const dup = await post('/api/v1/dids', { number: spelled, trunk_id: trunkB }, tokenB);
      expect(dup.status).toBe(422);
      expect(dup.body).toEqual({
        message: 'The number has already been taken.',
        errors: { number: ['The number has already been taken.'] },
      });
    });

    it('uses only numbers the platform assigned to the tenant', async () => {
      const unassigned = await post('/api/v1/dids', { number: londonNational(), trunk_id: trunkA });
      expect(unassigned.status).toBe(422);
      expect(unassigned.body.errors).toEqual({
        number: ['The number is not assigned to your tenant; a platform admin assigns numbers.'],
      });
      // Tenant B dials in the US, so its numbers are written in E.164.
      const ofB = e164Of(await assigned(tenantB.id));
      expect((await post('/api/v1/dids', { number: ofB, trunk_id: trunkA })).body.errors).toEqual(unassigned.body.errors);
      expect((await post('/api/v1/dids', { number: ofB, trunk_id: trunkB }, tokenB)).status).toBe(201);
      const ownedByA = await assigned();
      const did = (await post('/api/v1/dids', { number: ownedByA, trunk_id: trunkA })).body.data;
      const moved = await api.request('PATCH', `/api/v1/dids/${did.id}`, { token: tokenA, body: { number: ofB } });
      expect(moved.status).toBe(422);
    });

    it('lets only a platform admin assign and release numbers, never one in use', async () => {
      const number = e164Of(londonNational());
      const path = `/api/v1/tenants/${tenantA.id}/numbers`;
      expect((await post(path, { number }, tokenA)).status).toBe(403);
      expect((await post(path, { number: '0207 946' }, platformToken)).body.errors).toEqual({
        number: ['The number field must be an E.164 number, e.g. +442079460000.'],
      });
      expect((await post(path, { number }, platformToken)).status).toBe(201);
      expect((await post(`/api/v1/tenants/${tenantB.id}/numbers`, { number }, platformToken)).body.errors).toEqual({
        number: ['The number is already assigned to a tenant.'],
      });
      const own = await api.request('GET', `${path}?filter[number]=${encodeURIComponent(number)}`, { token: tokenA });
      expect(own.body.data).toEqual([{ number, tenant_id: tenantA.id, created_at: expect.any(String) }]);
      expect((await api.request('GET', `/api/v1/tenants/${tenantB.id}/numbers`, { token: tokenA })).status).toBe(404);

      const did = (await post('/api/v1/dids', { number, trunk_id: trunkA })).body.data;
      const inUse = await api.request('DELETE', `${path}/${encodeURIComponent(number)}`, { token: platformToken });
      expect(inUse.status).toBe(422);
      expect((await api.request('DELETE', `/api/v1/dids/${did.id}`, { token: tokenA })).status).toBe(204);
      expect((await api.request('DELETE', `${path}/${encodeURIComponent(number)}`, { token: platformToken })).status).toBe(204);
      const audit = await api.app.get(AuditLogRepository).list(tenantA.id, { page: 1, perPage: 50, sort: [], filters: { target_id: number } });
      expect(audit.items.map((e) => e.action).sort()).toEqual(['number.assigned', 'number.released']);
    });

    it('refuses numbers that are not public phone numbers, and foreign trunks or extensions', async () => {
      for (const number of ['12', '999', 'call me', '+44 20', '']) {
        const res = await post('/api/v1/dids', { number, trunk_id: trunkA });
        expect(res.status).toBe(422);
        expect(Object.keys(res.body.errors)).toEqual(['number']);
      }
      const foreign = await post('/api/v1/dids', {
        number: londonNational(),
        trunk_id: trunkB,
        extension_id: extB,
      });
      expect(foreign.status).toBe(422);
      expect(foreign.body.errors).toEqual({
        trunk_id: ['The selected trunk_id is invalid.'],
        extension_id: ['The selected extension_id is invalid.'],
      });
      const malformed = await post('/api/v1/dids', { number: londonNational(), trunk_id: 'x' });
      expect(malformed.body.errors).toEqual({ trunk_id: ['The selected trunk_id is invalid.'] });
    });

    it("filters by trunk, hides other tenants' DIDs (404), and keeps a used trunk from being deleted", async () => {
      const t = (await post('/api/v1/trunks', { name: `Filter ${Date.now()}`, host: 'f.example' })).body.data
        .id;
      const did = await post('/api/v1/dids', { number: await assigned(), trunk_id: t });
      const list = await api.request('GET', `/api/v1/dids?filter[trunk_id]=${t}`, { token: tokenA });
      expect(list.body.data.map((d: { id: string }) => d.id)).toEqual([did.body.data.id]);
      for (const [method, body] of [['GET'], ['PATCH', { extension_id: extB }], ['DELETE']] as const) {
        expect(
          (await api.request(method, `/api/v1/dids/${did.body.data.id}`, { token: tokenB, body })).status,
        ).toBe(404);
      }
      const del = await api.request('DELETE', `/api/v1/trunks/${t}`, { token: tokenA });
      expect(del.status).toBe(422);
      expect(
        (await api.request('DELETE', `/api/v1/dids/${did.body.data.id}`, { token: tokenA })).status,
      ).toBe(204);
      expect((await api.request('DELETE', `/api/v1/trunks/${t}`, { token: tokenA })).status).toBe(204);
    });
  });

  describe('/api/v1/outbound-routes', () => {
    let london: string;
    beforeAll(async () => {
      for (const [name, prefix, priority, trunk] of [
        ['Default', '', 100, trunkA],
        ['UK', '+44', 20, trunkA],
        ['UK backup', '44', 10, trunkA2],
        ['London', '+44 20', 50, trunkA],
        ['US', '+1', 100, trunkA],
      ] as const) {
        const res = await post('/api/v1/outbound-routes', { name, prefix, priority, trunk_id: trunk });
        expect(res.status).toBe(201);
        if (name === 'London') london = res.body.data.id;
      }
    });

    it('stores routes with compacted prefixes and lists them by priority', async () => {
      const show = await api.request('GET', `/api/v1/outbound-routes/${london}`, { token: tokenA });
      expect(show.body.data).toMatchObject({
        name: 'London',
        prefix: '+4420',
        priority: 50,
        trunk_id: trunkA,
      });
      const list = await api.request('GET', '/api/v1/outbound-routes', { token: tokenA });
      expect(list.body.data.map((r: { name: string }) => r.name)).toEqual([
        'UK backup',
        'UK',
        'London',
        'Default',
        'US',
      ]);
    });

    it("resolves a national number in the tenant's country to ordered trunks: longest prefix, then priority", async () => {
      const res = await post('/api/v1/outbound-routes/resolve', { number: '020 7946 0000' });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({
        input: '020 7946 0000',
        kind: 'e164',
        e164: '+442079460000',
        country: 'GB',
      });
      expect(res.body.data.candidates.map((c: { route_name: string }) => c.route_name)).toEqual([
        'London',
        'UK backup',
        'UK',
        'Default',
      ]);
      expect(res.body.data.candidates[1]).toMatchObject({
        trunk_id: trunkA2,
        trunk_name: 'Backup',
        trunk_status: 'disabled',
        prefix: '44',
      });
      const us = await post('/api/v1/outbound-routes/resolve', { number: '+1 202 555 0100' });
      expect(us.body.data.candidates.map((c: { route_name: string }) => c.route_name)).toEqual([
        'US',
        'Default',
      ]);
      const intl = await post('/api/v1/outbound-routes/resolve', { number: '0033 1 23 45 67 89' });
      expect(intl.body.data).toMatchObject({ e164: '+33123456789', country: 'FR' });
      expect(intl.body.data.candidates.map((c: { route_name: string }) => c.route_name)).toEqual(['Default']);
    });

    it('answers emergency and internal numbers without routes, and 422 for junk', async () => {
      expect((await post('/api/v1/outbound-routes/resolve', { number: '999' })).body.data).toMatchObject({
        kind: 'emergency',
        e164: null,
        candidates: [],
      });
      expect((await post('/api/v1/outbound-routes/resolve', { number: '100' })).body.data).toMatchObject({
        kind: 'internal',
        candidates: [],
      });
      const junk = await post('/api/v1/outbound-routes/resolve', { number: 'sip:evil' });
      expect(junk.status).toBe(422);
      expect(Object.keys(junk.body.errors)).toEqual(['number']);
      expect((await post('/api/v1/outbound-routes/resolve', {})).body.errors.number).toContain(
        'The number field is required.',
      );
    });

    it('validates prefix, priority and trunk, audits changed fields, and isolates tenants', async () => {
      const bad = await post('/api/v1/outbound-routes', {
        name: 'Bad',
        prefix: '+44a',
        priority: -1,
        trunk_id: trunkB,
      });
      expect(bad.status).toBe(422);
      expect(Object.keys(bad.body.errors).sort()).toEqual(['prefix', 'priority']);
      const foreign = await post('/api/v1/outbound-routes', { name: 'Foreign', trunk_id: trunkB });
      expect(foreign.body.errors).toEqual({ trunk_id: ['The selected trunk_id is invalid.'] });
      const dup = await post('/api/v1/outbound-routes', { name: 'UK', trunk_id: trunkA });
      expect(dup.body.errors).toEqual({ name: ['The name has already been taken.'] });

      const upd = await api.request('PATCH', `/api/v1/outbound-routes/${london}`, {
        token: tokenA,
        body: { priority: 5, trunk_id: trunkA2, name: 'London' },
      });
      expect(upd.status).toBe(200);
      const audit = await api.app
        .get(AuditLogRepository)
        .list(tenantA.id, {
          page: 1,
          perPage: 5,
          sort: [],
          filters: { target_id: london, action: 'outbound_route.updated' },
        });
      expect(audit.items.map((a) => a.metadata)).toEqual([{ fields: ['priority', 'trunk_id'] }]);
      expect((await api.request('GET', `/api/v1/outbound-routes/${london}`, { token: tokenB })).status).toBe(
        404,
      );
      // Tenant B dials from the US by default: the London national format means nothing there.
      expect(
        (await post('/api/v1/outbound-routes/resolve', { number: '020 7946 0000' }, tokenB)).status,
      ).toBe(422);
      const b = await post('/api/v1/outbound-routes/resolve', { number: '+44 20 7946 0000' }, tokenB);
      expect(b.body.data).toMatchObject({ e164: '+442079460000', candidates: [] });
    });
  });
});
