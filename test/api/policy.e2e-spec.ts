import { AuditLogRepository } from '@pbx/database';
import { startApi, TestApi } from './harness';
import { policyClient, PolicyTenant, policyTenant, seedDevice } from './policy-fixtures';

const POLICY_KEYS = [
  'allow_fraud',
  'allow_high_risk',
  'daily_cap',
  'daily_escalation',
  'emergency_numbers',
  'international_hours',
  'lock_level',
  'lock_reason',
  'max_calls_per_hour',
  'max_calls_per_minute',
  'max_concurrent',
  'max_duration_seconds',
  'monthly_cap',
  'monthly_escalation',
  'step_up_first_calls',
  'step_up_max_duration_seconds',
  'tenant_id',
  'tenant_max_calls_per_hour',
  'tenant_max_calls_per_minute',
  'tenant_max_concurrent',
  'updated_at',
  'wangiri_window_seconds',
];

describe('policy: settings, rules, rates, overrides and lock levels', () => {
  let api: TestApi;
  let a: PolicyTenant;
  let b: PolicyTenant;
  let ca: ReturnType<typeof policyClient>;
  let cb: ReturnType<typeof policyClient>;

  beforeAll(async () => {
    api = await startApi();
    a = await policyTenant(api);
    b = await policyTenant(api);
    ca = policyClient(api, a);
    cb = policyClient(api, b);
  });
  afterAll(() => api.close());

  const audit = async (tenantId: string, action: string) =>
    (await api.app.get(AuditLogRepository).list(tenantId, { page: 1, perPage: 100, sort: [], filters: { action } })).items;

  describe('GET/PATCH/PUT /api/v1/policy', () => {
    it('shows the defaults row, created on first read, in an exact envelope', async () => {
      const t = await policyTenant(api);
      const res = await api.request('GET', '/api/v1/policy', { token: t.token });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(['data']);
      expect(Object.keys(res.body.data).sort()).toEqual(POLICY_KEYS);
      expect(res.body.data).toMatchObject({ tenant_id: t.id, lock_level: 0, max_concurrent: 2, daily_escalation: 1, monthly_escalation: 2 });
    });

    it('updates given fields only, null turns a limit off, and audits the changed field names', async () => {
      const body = {
        max_concurrent: null,
        daily_cap: 12.5,
        international_hours: { days: [5, 1, 3], start: '22:00', end: '06:00' },
        emergency_numbers: ['999', '112'],
      };
      const { data } = await ca.ok('PATCH', '/api/v1/policy', body);
      expect(data).toMatchObject({
        max_concurrent: null,
        daily_cap: 12.5,
        max_calls_per_minute: 10,
        international_hours: { days: [1, 3, 5], start: '22:00', end: '06:00' },
        emergency_numbers: ['999', '112'],
      });
      const { data: again } = await ca.ok('PUT', '/api/v1/policy', { international_hours: null, max_concurrent: 4 });
      expect(again).toMatchObject({ international_hours: null, max_concurrent: 4, daily_cap: 12.5 });
      const rows = await audit(a.id, 'policy.updated');
      expect(rows[1].metadata).toEqual({ fields: ['dailyCap', 'emergencyNumbers', 'intlHoursDays', 'intlHoursEnd', 'intlHoursStart', 'maxConcurrent'] });
      expect(rows[1].actorUserId).not.toBeNull();
    });

    it('422s with one message per bad field, Laravel shape, nothing saved', async () => {
      const res = await api.request('PATCH', '/api/v1/policy', {
        token: a.token,
        body: {
          max_concurrent: -1,
          daily_cap: -0.5,
          daily_escalation: 4,
          monthly_escalation: null,
          max_duration_seconds: 1.5,
          international_hours: { days: [1, 7], start: '9:00', end: '25:00' },
          emergency_numbers: ['1'],
          surprise: true,
        },
      });
      expect(res.status).toBe(422);
      expect(res.body.message).toContain('(and ');
      expect(Object.keys(res.body.errors).sort()).toEqual([
        'daily_cap',
        'daily_escalation',
        'emergency_numbers',
        'international_hours.days',
        'international_hours.end',
        'international_hours.start',
        'max_concurrent',
        'max_duration_seconds',
        'monthly_escalation',
        'surprise',
      ]);
      expect(res.body.errors.daily_escalation).toEqual(['The daily_escalation field must not be greater than 3.']);
      expect(res.body.errors['international_hours.start']).toEqual(['The start field must be a time in HH:MM format.']);
      expect((await ca.ok('GET', '/api/v1/policy')).data.max_concurrent).toBe(4);
    });

    it('refuses step-up without a duration', async () => {
      const res = await api.request('PATCH', '/api/v1/policy', {
        token: a.token,
        body: { step_up_first_calls: 3, step_up_max_duration_seconds: null },
      });
      expect(res.status).toBe(422);
      expect(Object.keys(res.body.errors)).toEqual(['step_up_max_duration_seconds']);
    });
  });

  describe('destination rules', () => {
    it('creates, lists with filters, shows, updates and deletes; "44" and "+44" are the same rule', async () => {
      const rule = await ca.addRule({ kind: 'prefix', prefix: '44', action: 'deny', note: ' premium ' });
      expect(rule).toMatchObject({ kind: 'prefix', prefix: '+44', country: null, action: 'deny', device_id: null, note: 'premium' });
      const dup = await ca.call('POST', '/api/v1/policy/destination-rules', { kind: 'prefix', prefix: '+44', action: 'allow' });
      expect(dup.status).toBe(422);
      expect(Object.keys(dup.body.errors)).toEqual(['prefix']);

      const deviceRule = await ca.addRule({ kind: 'country', country: 'fr', action: 'allow', device_id: a.deviceId });
      expect(deviceRule).toMatchObject({ country: 'FR', device_id: a.deviceId });
      const list = await ca.ok('GET', '/api/v1/policy/destination-rules?filter[scope]=device&sort=-created_at');
      expect(list.data.map((r: { id: string }) => r.id)).toEqual([deviceRule.id]);
      expect(list.meta).toMatchObject({ total: 1, current_page: 1 });
      expect((await ca.ok('GET', `/api/v1/policy/destination-rules/${rule.id}`)).data.id).toBe(rule.id);

      const updated = await ca.ok('PATCH', `/api/v1/policy/destination-rules/${rule.id}`, { prefix: '447', action: 'allow' });
      expect(updated.data).toMatchObject({ prefix: '+447', action: 'allow' });
      await ca.ok('DELETE', `/api/v1/policy/destination-rules/${rule.id}`, undefined, 204);
      expect((await ca.call('GET', `/api/v1/policy/destination-rules/${rule.id}`)).status).toBe(404);
      const actions = (await audit(a.id, 'policy.destination_rule.deleted')).map((r) => r.metadata);
      expect(actions).toContainEqual({ kind: 'prefix', prefix: '+447', country: null, action: 'allow', device_id: null });
    });

    it.each([
      [{ kind: 'prefix', action: 'deny' }, ['prefix']],
      [{ kind: 'prefix', prefix: '+44 20', action: 'deny' }, ['prefix']],
      [{ kind: 'prefix', prefix: '+44', country: 'GB', action: 'deny' }, ['country']],
      [{ kind: 'country', country: 'GBR', action: 'allow' }, ['country']],
      [{ kind: 'zone', action: 'maybe' }, ['action', 'kind']],
      [{ kind: 'country', country: 'GB', action: 'allow', device_id: 'nope' }, ['device_id']],
    ])('422 for %j', async (body, fields) => {
      const res = await ca.call('POST', '/api/v1/policy/destination-rules', body);
      expect(res.status).toBe(422);
      expect(Object.keys(res.body.errors).sort()).toEqual(fields);
    });

    it("a device_id of another tenant is a 422 field error; another tenant's rule is a 404", async () => {
      const res = await ca.call('POST', '/api/v1/policy/destination-rules', { kind: 'country', country: 'DE', action: 'deny', device_id: b.deviceId });
      expect(res.status).toBe(422);
      expect(res.body.errors).toEqual({ device_id: ['The selected device_id is invalid.'] });
      const theirs = await cb.addRule({ kind: 'country', country: 'DE', action: 'deny' });
      for (const [method, body] of [['GET'], ['PATCH', { action: 'allow' }], ['DELETE']] as const) {
        expect((await ca.call(method, `/api/v1/policy/destination-rules/${theirs.id}`, body)).status).toBe(404);
      }
      expect((await ca.call('GET', '/api/v1/policy/destination-rules/not-a-uuid')).status).toBe(404);
      const mine = await ca.ok('GET', '/api/v1/policy/destination-rules?per_page=100');
      expect(mine.data.map((r: { id: string }) => r.id)).not.toContain(theirs.id);
    });
  });

  describe('source rules', () => {
    it('validates values by kind, canonicalises them and refuses duplicates', async () => {
      const rule = await ca.addSource({ kind: 'cidr_allow', value: '2001:DB8::/32', applies_to: 'call' });
      expect(rule).toMatchObject({ value: '2001:db8::/32', applies_to: 'call', device_id: null });
      expect((await ca.addSource({ kind: 'country_deny', value: 'ru' })).applies_to).toBe('both');
      for (const [body, field] of [
        [{ kind: 'cidr_allow', value: '10.0.0.0/33' }, 'value'],
        [{ kind: 'cidr_allow', value: 'GB' }, 'value'],
        [{ kind: 'country_allow', value: 'United Kingdom' }, 'value'],
        [{ kind: 'country_allow', value: 'GB', applies_to: 'sometimes' }, 'applies_to'],
        [{ kind: 'ip_deny', value: '10.0.0.1' }, 'kind'],
        [{ kind: 'country_deny', value: 'RU' }, 'value'],
      ] as const) {
        const res = await ca.call('POST', '/api/v1/policy/source-rules', body);
        expect({ status: res.status, fields: Object.keys(res.body.errors ?? {}) }).toEqual({ status: 422, fields: [field] });
      }
      const updated = await ca.ok('PATCH', `/api/v1/policy/source-rules/${rule.id}`, { value: '2001:db8:1::/48' });
      expect(updated.data.value).toBe('2001:db8:1::/48');
      await ca.ok('DELETE', `/api/v1/policy/source-rules/${rule.id}`, undefined, 204);
    });
  });

  describe('rates', () => {
    it('creates and refuses a duplicate prefix', async () => {
      const rate = await ca.addRate({ prefix: '+49', per_minute: 0.02 });
      expect(rate).toMatchObject({ prefix: '+49', per_minute: 0.02, first_increment_seconds: 60, connection_fee: 0 });
      const dup = await ca.call('POST', '/api/v1/policy/rates', { prefix: '49', per_minute: 0.03 });
      expect(dup.status).toBe(422);
      expect(dup.body.errors).toEqual({ prefix: ['The prefix has already been taken.'] });
      const bad = await ca.call('POST', '/api/v1/policy/rates', { prefix: '+50', first_increment_seconds: 0, per_minute: -1 });
      expect(Object.keys(bad.body.errors).sort()).toEqual(['first_increment_seconds', 'per_minute']);
    });

    it('imports CSV as an upsert and reports created and updated counts', async () => {
      const csv = 'prefix,per_minute,first_increment_seconds,connection_fee\n+49,0.025,60,0\n+33,0.01,30,0.05\n+4989,0.5\n';
      const res = await api.request('POST', '/api/v1/policy/rates/import', { token: a.token, body: csv, headers: { 'content-type': 'text/csv' } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: { created: 2, updated: 1, total: 3 } });
      const list = await ca.ok('GET', '/api/v1/policy/rates?sort=prefix');
      expect(list.data.map((r: { prefix: string; per_minute: number }) => [r.prefix, r.per_minute])).toEqual([
        ['+33', 0.01],
        ['+49', 0.025],
        ['+4989', 0.5],
      ]);
      expect((await audit(a.id, 'policy.rates.imported'))[0].metadata).toEqual({ created: 2, updated: 1 });
    });

    it('refuses a file with bad lines, by line number, and writes nothing', async () => {
      const csv = '+1,0.01\n+1x,0.01\n+44,abc,60,0\n+1,0.02';
      const res = await api.request('POST', '/api/v1/policy/rates/import', { token: a.token, body: csv, headers: { 'content-type': 'text/csv' } });
      expect(res.status).toBe(422);
      expect(Object.keys(res.body.errors)).toEqual(['line.2', 'line.3', 'line.4']);
      expect(res.body.errors['line.4']).toEqual(['The prefix +1 is already on line 1.']);
      expect((await ca.ok('GET', '/api/v1/policy/rates?filter[prefix]=%2B1')).data).toEqual([]);
      const json = await ca.call('POST', '/api/v1/policy/rates/import', { csv: '+1,0.1' });
      expect(json.status).toBe(422);
    });
  });

  describe('inputs the database would refuse answer 422, not 500', () => {
    it('refuses a non-UUID device filter and an unknown scope on rule lists', async () => {
      for (const path of ['destination-rules', 'source-rules']) {
        const bad = await ca.call('GET', `/api/v1/policy/${path}?filter[device_id]=x&filter[scope]=everything`);
        expect(bad.status).toBe(422);
        expect(Object.keys(bad.body.errors)).toEqual(['filter.device_id']);
        const scope = await ca.call('GET', `/api/v1/policy/${path}?filter[scope]=everything`);
        expect(scope.status).toBe(422);
        expect(Object.keys(scope.body.errors)).toEqual(['filter.scope']);
      }
    });

    it('refuses rate amounts that do not fit numeric(12, 6)', async () => {
      expect((await ca.call('POST', '/api/v1/policy/rates', { prefix: '+3399', per_minute: 1_000_000 })).status).toBe(422);
      const csv = await api.request('POST', '/api/v1/policy/rates/import', { token: a.token, body: '+3399,5000000', headers: { 'content-type': 'text/csv' } });
      expect(csv.status).toBe(422);
      expect(Object.keys(csv.body.errors)).toEqual(['line.1']);
    });
  });

  describe('device overrides and lock levels', () => {
    it('shows, replaces and removes an override; foreign and unknown devices are 404s', async () => {
      const empty = await ca.ok('GET', `/api/v1/devices/${a.deviceId}/policy`);
      expect(empty.data).toMatchObject({ device_id: a.deviceId, max_concurrent: null, step_up_enabled: null, updated_at: null });
      const put = await ca.ok('PUT', `/api/v1/devices/${a.deviceId}/policy`, { max_concurrent: 1, step_up_enabled: false });
      expect(put.data).toMatchObject({ max_concurrent: 1, step_up_enabled: false, max_duration_seconds: null });
      const replaced = await ca.ok('PUT', `/api/v1/devices/${a.deviceId}/policy`, { max_calls_per_hour: 9 });
      expect(replaced.data).toMatchObject({ max_concurrent: null, step_up_enabled: null, max_calls_per_hour: 9 });
      const bad = await ca.call('PUT', `/api/v1/devices/${a.deviceId}/policy`, { max_concurrent: -2, step_up_enabled: 'yes' });
      expect(Object.keys(bad.body.errors).sort()).toEqual(['max_concurrent', 'step_up_enabled']);
      await ca.ok('DELETE', `/api/v1/devices/${a.deviceId}/policy`, undefined, 204);
      expect((await ca.ok('GET', `/api/v1/devices/${a.deviceId}/policy`)).data.updated_at).toBeNull();
      for (const id of [b.deviceId, '00000000-0000-4000-8000-000000000000', 'x']) {
        expect((await ca.call('GET', `/api/v1/devices/${id}/policy`)).status).toBe(404);
        expect((await ca.call('PUT', `/api/v1/devices/${id}/lock-level`, { level: 1 })).status).toBe(404);
      }
    });

    it('locks and unlocks a device: status follows, audited with the reason', async () => {
      const device = await seedDevice(api, a.id);
      const locked = await ca.ok('PUT', `/api/v1/devices/${device}/lock-level`, { level: 2, reason: 'odd calls' });
      expect(locked.data).toMatchObject({ lock_level: 2, lock_reason: 'odd calls', status: 'locked' });
      const unlocked = await ca.ok('PUT', `/api/v1/devices/${device}/lock-level`, { level: 0 });
      expect(unlocked.data).toMatchObject({ lock_level: 0, lock_reason: null, status: 'active' });
      const rows = await audit(a.id, 'device.lock_level.changed');
      expect(rows.find((r) => r.targetId === device && r.metadata.to === 2)?.metadata).toEqual({
        from: 0,
        to: 2,
        status: 'locked',
        reason: 'odd calls',
      });
    });

    it('sets the tenant lock level; 0..3 only', async () => {
      expect((await ca.setLock(1, 'audit')).data).toMatchObject({ lock_level: 1, lock_reason: 'audit' });
      expect((await ca.setLock(0)).data).toMatchObject({ lock_level: 0, lock_reason: null });
      for (const level of [4, -1, '2', null]) {
        const res = await ca.call('PUT', '/api/v1/policy/lock-level', { level });
        expect(res.status).toBe(422);
        expect(Object.keys(res.body.errors)).toEqual(['level']);
      }
      expect((await audit(a.id, 'policy.lock_level.changed'))[0].metadata).toEqual({ from: 1, to: 0, reason: null });
    });
  });
});
