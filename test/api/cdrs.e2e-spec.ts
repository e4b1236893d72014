import { AuditLogRepository, CdrInsert, CdrsRepository } from '@pbx/database';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { login, seedTenant, seedUser, startApi, TestApi } from './harness';
import { parseCsv } from './ops-helpers';

const DECIDING_RULE = '0c5d2a9e-1b1f-4e51-9d0e-6a7c1f2b3c4d';

describe('cdrs: /api/v1/cdrs', () => {
  let api: TestApi;
  let tenantA: { id: string };
  let tenantB: { id: string };
  const tokens: Record<'admin' | 'supervisor' | 'auditor' | 'agent' | 'adminB', string> = {
    admin: '',
    supervisor: '',
    auditor: '',
    agent: '',
    adminB: '',
  };
  const D1 = randomUUID();
  const D2 = randomUUID();
  const E1 = randomUUID();
  const E2 = randomUUID();
  const ids: Record<string, string> = {};
  let foreignId: string;

  const cdr = (tenantId: string, over: Partial<CdrInsert>): CdrInsert => ({
    tenantId,
    callId: `${randomUUID()}@test`,
    direction: 'outbound',
    fromNumber: '1001',
    toNumber: '+442079460000',
    startedAt: new Date('2026-01-10T10:00:00Z'),
    disposition: 'answered',
    ...over,
  });

  beforeAll(async () => {
    api = await startApi();
    tenantA = await seedTenant(api, 'CDR A');
    tenantB = await seedTenant(api, 'CDR B');
    for (const [k, t, roles] of [
      ['admin', tenantA, ['tenant_admin']],
      ['supervisor', tenantA, ['supervisor']],
      ['auditor', tenantA, ['auditor']],
      ['agent', tenantA, ['agent']],
      ['adminB', tenantB, ['tenant_admin']],
    ] as const) {
      tokens[k] = (await login(api, await seedUser(api, t.id, [...roles]))).access;
    }
    const repo = api.app.get(CdrsRepository);
    const rows: Record<string, Partial<CdrInsert>> = {
      r1: {
        deviceId: D1,
        extensionId: E1,
        destinationCountry: 'GB',
        durationSeconds: 60,
        billableSeconds: 60,
        cost: 0.5,
      },
      r2: {
        policyDecision: 'deny',
        policyRuleId: 'country:US',
        decidingRuleId: DECIDING_RULE,
        direction: 'inbound',
        deviceId: D2,
        extensionId: E2,
        fromNumber: '+12125550143',
        toNumber: '1001',
        destinationCountry: 'US',
        disposition: 'busy',
        startedAt: new Date('2026-01-11T10:00:00Z'),
      },
      r3: {
        direction: 'internal',
        deviceId: D1,
        extensionId: E2,
        fromNumber: '1001',
        toNumber: '1002',
        disposition: 'no_answer',
        startedAt: new Date('2026-01-12T10:00:00Z'),
        durationSeconds: 5,
      },
      r4: {
        deviceId: D2,
        extensionId: E1,
        toNumber: '+353851234567',
        destinationCountry: 'IE',
        disposition: 'failed',
        startedAt: new Date('2026-01-13T10:00:00Z'),
        cost: 1.25,
      },
      r5: {
        fromNumber: '=HYPERLINK("http://evil.example","x")',
        toNumber: '+33142685300',
        destinationCountry: 'FR',
        startedAt: new Date('2026-01-14T10:00:00Z'),
        durationSeconds: 120,
        cost: 2,
        hangupCause: 'normal, "clearing"\nline two',
        sourceIp: '198.51.100.20',
      },
    };
    for (const [k, over] of Object.entries(rows)) ids[k] = (await repo.insert(cdr(tenantA.id, over))).id;
    foreignId = (await repo.insert(cdr(tenantB.id, { deviceId: D1 }))).id;
  });
  afterAll(() => api.close());

  const list = (query: string, token = tokens.admin) =>
    api.request('GET', `/api/v1/cdrs?per_page=100&${query}`, { token });
  const idsOf = (res: { body: { data: Array<{ id: string }> } }) => res.body.data.map((c) => c.id);
  const named = (...keys: string[]) => keys.map((k) => ids[k]);

  it('lists the tenant records newest first, in a Laravel page, never another tenant', async () => {
    const res = await list('');
    expect(res.status).toBe(200);
    expect(idsOf(res)).toEqual(named('r5', 'r4', 'r3', 'r2', 'r1'));
    expect(res.body.meta).toMatchObject({ total: 5, current_page: 1 });
    expect(idsOf(res)).not.toContain(foreignId);
    expect(res.body.data[4]).toMatchObject({
      tenant_id: tenantA.id,
      direction: 'outbound',
      device_id: D1,
      extension_id: E1,
      destination_country: 'GB',
      started_at: '2026-01-10T10:00:00.000Z',
      duration_seconds: 60,
      cost: 0.5,
      disposition: 'answered',
    });
  });

  it.each([
    ['filter[device_id]', () => D1, ['r3', 'r1']],
    ['filter[extension_id]', () => E2, ['r3', 'r2']],
    ['filter[direction]', () => 'outbound', ['r5', 'r4', 'r1']],
    ['filter[destination_country]', () => 'gb', ['r1']],
    ['filter[disposition]', () => 'busy', ['r2']],
    ['filter[from]', () => '2026-01-13', ['r5', 'r4']],
    ['filter[to]', () => '2026-01-11T10:00:00Z', ['r1']],
  ])('%s narrows the list', async (param, value, expected) => {
    const res = await list(`${encodeURIComponent(param)}=${encodeURIComponent(value())}`);
    expect(res.status).toBe(200);
    expect(idsOf(res)).toEqual(named(...expected));
  });

  it('combines filters, with from inclusive and to exclusive', async () => {
    const res = await list(
      'filter[from]=2026-01-11T10:00:00Z&filter[to]=2026-01-13T10:00:00%2B00:00&filter[device_id]=' + D1,
    );
    expect(idsOf(res)).toEqual(named('r3'));
  });

  it('sorts by started_at, duration_seconds and cost', async () => {
    expect(idsOf(await list('sort=started_at'))).toEqual(named('r1', 'r2', 'r3', 'r4', 'r5'));
    expect(idsOf(await list('sort=-duration_seconds&filter[direction]=outbound'))).toEqual(
      named('r5', 'r1', 'r4'),
    );
    expect(idsOf(await list('sort=-cost&filter[direction]=outbound'))).toEqual(named('r5', 'r4', 'r1'));
  });

  it('answers bad filters and sorts with 422 field errors', async () => {
    const res = await list(
      'filter[device_id]=nope&filter[direction]=sideways&filter[from]=yesterday&filter[disposition]=x&filter[destination_country]=GBR',
    );
    expect(res.status).toBe(422);
    expect(Object.keys(res.body.errors).sort()).toEqual([
      'filter.destination_country',
      'filter.device_id',
      'filter.direction',
      'filter.disposition',
      'filter.from',
    ]);
    expect((await list('sort=from_number')).body.errors.sort[0]).toMatch(/not sortable/);
    const range = await list('filter[from]=2026-01-12&filter[to]=2026-01-11');
    expect(range.status).toBe(422);
    expect(range.body.errors).toEqual({ 'filter.to': ['The filter to must be a date after filter from.'] });
    expect((await list('filter[caller]=x')).status).toBe(422);
  });

  it("shows one record; another tenant's or a malformed id is a 404", async () => {
    const res = await api.request('GET', `/api/v1/cdrs/${ids.r1}`, { token: tokens.admin });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['data']);
    expect(res.body.data.id).toBe(ids.r1);
    const denied = await api.request('GET', `/api/v1/cdrs/${ids.r2}`, { token: tokens.admin });
    expect(denied.body.data).toMatchObject({ policy_rule_id: 'country:US', deciding_rule_id: DECIDING_RULE });
    expect((await api.request('GET', `/api/v1/cdrs/${foreignId}`, { token: tokens.admin })).status).toBe(404);
    expect((await api.request('GET', '/api/v1/cdrs/not-a-uuid', { token: tokens.admin })).status).toBe(404);
    expect((await api.request('GET', `/api/v1/cdrs/${ids.r1}`, { token: tokens.adminB })).status).toBe(404);
  });

  it('shows the media quality of each leg, null when the media was not anchored', async () => {
    const quality = {
      caller: { packets: 1500, bytes: 258_000, packetsLostPercent: 0.5, jitterMs: 3, roundTripMs: 1.2, mos: 4.3, mosSource: 'rtpengine' as const },
      callee: { packets: 1490, bytes: 256_280, packetsLostPercent: null, jitterMs: null, roundTripMs: null, mos: null, mosSource: null },
    };
    const id = (await api.app.get(CdrsRepository).insert(cdr(tenantA.id, { mediaQuality: quality }))).id;
    const res = await api.request('GET', `/api/v1/cdrs/${id}`, { token: tokens.auditor });
    expect(res.status).toBe(200);
    expect(res.body.data.media_quality).toEqual(quality);
    expect((await api.request('GET', `/api/v1/cdrs/${ids.r1}`, { token: tokens.admin })).body.data.media_quality).toBeNull();
    await api.app.get(DataSource).query(`DELETE FROM cdrs WHERE id = $1`, [id]);
  });

  it('masks numbers for callers without cdrs.view_numbers (auditor) and not for those with it (supervisor)', async () => {
    const sup = await api.request('GET', `/api/v1/cdrs/${ids.r2}`, { token: tokens.supervisor });
    expect(sup.body.data).toMatchObject({ from_number: '+12125550143', to_number: '1001' });
    const aud = await api.request('GET', `/api/v1/cdrs/${ids.r2}`, { token: tokens.auditor });
    expect(aud.body.data).toMatchObject({ from_number: '+1 •••• 0143', to_number: '•••• 01' });
    const audList = await list('', tokens.auditor);
    expect(audList.status).toBe(200);
    expect(audList.text).not.toContain('2079460000');
    expect(audList.text).not.toContain('+12125550143');
    expect(audList.body.data.find((c: { id: string }) => c.id === ids.r1).to_number).toBe('+44 •••• 0000');
  });

  it('refuses callers without cdrs.view: 403 on list, show and export', async () => {
    for (const path of ['/api/v1/cdrs', `/api/v1/cdrs/${ids.r1}`, '/api/v1/cdrs/export'])
      expect((await api.request('GET', path, { token: tokens.agent })).status).toBe(403);
    expect((await api.request('GET', '/api/v1/cdrs')).status).toBe(401);
  });

  describe('export', () => {
    const exportCsv = (query: string, token = tokens.admin) =>
      api.request('GET', `/api/v1/cdrs/export?${query}`, { token, headers: { accept: 'text/csv' } });

    it('streams CSV with a header row, escaping, formula guard and full numbers for view_numbers', async () => {
      const res = await exportCsv('');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(res.headers.get('content-disposition')).toMatch(
        /^attachment; filename="cdrs-\d{8}T\d{6}Z\.csv"$/,
      );
      expect(res.headers.get('x-export-rows')).toBe('5');
      expect(res.headers.get('x-export-truncated')).toBe('false');
      // Streamed, not buffered: no length is known up front.
      expect(res.headers.get('content-length')).toBeNull();
      expect(res.headers.get('cache-control')).toBe('no-store');
      const rows = parseCsv(res.text);
      expect(rows[0].slice(0, 8)).toEqual([
        'id',
        'call_id',
        'started_at',
        'answered_at',
        'ended_at',
        'direction',
        'from_number',
        'to_number',
      ]);
      expect(rows.slice(1).map((r) => r[0])).toEqual(named('r5', 'r4', 'r3', 'r2', 'r1'));
      const h = (name: string) => rows[0].indexOf(name);
      const r5 = rows[1];
      expect(r5[h('from_number')]).toBe(`'=HYPERLINK("http://evil.example","x")`);
      expect(r5[h('to_number')]).toBe("'+33142685300");
      expect(r5[h('hangup_cause')]).toBe('normal, "clearing"\nline two');
      expect(r5[h('cost')]).toBe('2');
      expect(r5[h('source_ip')]).toBe('198.51.100.20');
      expect(res.text).toContain('"\'=HYPERLINK(""http://evil.example"",""x"")"');
      expect(res.text).not.toContain(foreignId);
    });

    it('masks numbers in the CSV for an auditor, applies the filters, and is audited', async () => {
      const res = await exportCsv(`filter[device_id]=${D2}`, tokens.auditor);
      expect(res.status).toBe(200);
      const rows = parseCsv(res.text);
      expect(rows.slice(1).map((r) => r[0])).toEqual(named('r4', 'r2'));
      const h = (name: string) => rows[0].indexOf(name);
      expect(rows[1][h('to_number')]).toBe("'+353 •••• 4567");
      expect(rows[2][h('from_number')]).toBe("'+1 •••• 0143");
      expect(res.text).not.toMatch(/851234567|2125550143/);
      const audit = await api.app
        .get(AuditLogRepository)
        .list(tenantA.id, { page: 1, perPage: 100, sort: [], filters: { action: 'cdr.exported' } });
      expect(audit.items.map((a) => a.metadata)).toContainEqual({
        rows: 2,
        truncated: false,
        numbers_revealed: false,
        filters: { device_id: D2 },
      });
      expect((await exportCsv('filter[direction]=up')).status).toBe(422);
    });

    it('pages through more rows than one batch without losing or repeating any, even with equal start times', async () => {
      const t = await seedTenant(api, 'CDR bulk');
      const token = (await login(api, await seedUser(api, t.id, ['auditor']))).access;
      await api.app.get(DataSource).query(
        `INSERT INTO cdrs (tenant_id, call_id, direction, from_number, to_number, started_at, disposition)
         SELECT $1, 'bulk-' || g, 'outbound', '1001', '+442079460000',
                timestamptz '2026-02-01 10:00:00.123456+00' + (g % 3) * interval '1 microsecond', 'answered'
         FROM generate_series(1, 2050) g`,
        [t.id],
      );
      const res = await exportCsv('', token);
      expect(res.headers.get('x-export-rows')).toBe('2050');
      const callIds = parseCsv(res.text)
        .slice(1)
        .map((r) => r[1]);
      expect(callIds).toHaveLength(2050);
      expect(new Set(callIds).size).toBe(2050);
    });
  });

  it('insert is idempotent on (tenant, Call-ID), so the SIP app may retry', async () => {
    const repo = api.app.get(CdrsRepository);
    const row = cdr(tenantB.id, { callId: `retry-${randomUUID()}` });
    const first = await repo.insert(row);
    const again = await repo.insert({ ...row, durationSeconds: 99 });
    expect(again.id).toBe(first.id);
    expect(again.durationSeconds).toBe(0);
  });
});
