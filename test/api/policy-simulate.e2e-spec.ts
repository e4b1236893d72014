import { startApi, TestApi } from './harness';
import { CUBA, FRANCE, JAMAICA, LONDON, policyClient, policyTenant, seedDevice, UK_MOBILE } from './policy-fixtures';

/** Every destination, lock and source rule kind through POST /policy/simulate: one case where it decides, one where it does not. */
describe('policy: /api/v1/policy/simulate (rules)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.close());

  const fresh = async () => {
    const t = await policyTenant(api);
    return { t, c: policyClient(api, t) };
  };

  describe('country risk tiers', () => {
    it('denies a high-risk country by default and allows a low-risk one', async () => {
      const { c } = await fresh();
      expect(await c.simulate(CUBA)).toMatchObject({
        decision: 'deny',
        rule_id: 'country-tier:high_risk:CU',
        scope: 'international',
        country: 'CU',
        tier: 'high_risk',
      });
      expect(await c.simulate(FRANCE)).toMatchObject({ decision: 'allow', rule_id: 'country-tier:low:FR', tier: 'low' });
    });

    it('allows high-risk countries once allow_high_risk is on', async () => {
      const { c } = await fresh();
      await c.patchPolicy({ allow_high_risk: true });
      expect(await c.simulate(CUBA)).toMatchObject({ decision: 'allow', rule_id: 'country-tier:high_risk:CU' });
    });
  });

  describe('explicit country rules', () => {
    it('an allow for the country beats its tier default; a rule for another country does not', async () => {
      const { c } = await fresh();
      await c.addRule({ kind: 'country', country: 'jm', action: 'allow' });
      expect(await c.simulate(JAMAICA)).toMatchObject({ decision: 'allow', rule_id: 'country:JM', country: 'JM' });
      expect(await c.simulate(CUBA)).toMatchObject({ decision: 'deny', rule_id: 'country-tier:high_risk:CU' });
    });

    it('a deny for a low-risk country blocks it, naming the rule row to edit', async () => {
      const { c } = await fresh();
      const rule = await c.addRule({ kind: 'country', country: 'FR', action: 'deny' });
      expect(await c.simulate(FRANCE)).toMatchObject({ decision: 'deny', rule_id: 'country:FR', deciding_rule_id: rule.id });
      expect(await c.simulate(LONDON)).toMatchObject({ decision: 'allow', deciding_rule_id: null });
    });
  });

  describe('prefix precedence', () => {
    it('allow +44, deny +447: +4420… allowed, +447… denied; swapped actions swap the outcome', async () => {
      const { c } = await fresh();
      const broad = await c.addRule({ kind: 'prefix', prefix: '44', action: 'allow' });
      const narrow = await c.addRule({ kind: 'prefix', prefix: '+447', action: 'deny' });
      expect(broad.prefix).toBe('+44');
      expect(await c.simulate(LONDON)).toMatchObject({ decision: 'allow', rule_id: `prefix:${broad.id}`, deciding_rule_id: broad.id, scope: 'national' });
      expect(await c.simulate(UK_MOBILE)).toMatchObject({ decision: 'deny', rule_id: `prefix:${narrow.id}` });
      // National format dialed the way a UK desk phone would.
      expect(await c.simulate('020 7946 0018')).toMatchObject({ decision: 'allow', normalized_destination: { number: LONDON } });

      await c.ok('PATCH', `/api/v1/policy/destination-rules/${broad.id}`, { action: 'deny' });
      await c.ok('PUT', `/api/v1/policy/destination-rules/${narrow.id}`, { action: 'allow' });
      expect(await c.simulate(LONDON)).toMatchObject({ decision: 'deny', rule_id: `prefix:${broad.id}` });
      expect(await c.simulate(UK_MOBILE)).toMatchObject({ decision: 'allow', rule_id: `prefix:${narrow.id}` });
    });
  });

  describe('emergency numbers and lock levels', () => {
    it('emergency calls beat lock level 3 and deny rules; everything else is blocked by the lock', async () => {
      const { c } = await fresh();
      await c.addRule({ kind: 'country', country: 'GB', action: 'deny' });
      await c.setLock(3, 'incident');
      for (const dialed of ['999', '112']) {
        expect(await c.simulate(dialed)).toMatchObject({
          decision: 'allow',
          rule_id: 'emergency',
          scope: 'emergency',
          normalized_destination: { kind: 'emergency', number: dialed },
        });
      }
      expect(await c.simulate(LONDON)).toMatchObject({ decision: 'deny', rule_id: 'lock-level:3' });
      expect(await c.simulate('1001')).toMatchObject({ decision: 'deny', rule_id: 'lock-level:3', scope: 'internal' });
    });

    it('level 1 blocks international but not national calls; level 0 lifts it', async () => {
      const { c } = await fresh();
      await c.setLock(1, 'spend');
      expect(await c.simulate(FRANCE)).toMatchObject({ decision: 'deny', rule_id: 'lock-level:1' });
      expect(await c.simulate(LONDON)).toMatchObject({ decision: 'allow' });
      await c.setLock(0);
      expect(await c.simulate(FRANCE)).toMatchObject({ decision: 'allow' });
    });

    it('a tenant emergency list replaces the country default', async () => {
      const { c } = await fresh();
      await c.patchPolicy({ emergency_numbers: ['112', '5555'] });
      expect(await c.simulate('5555')).toMatchObject({ decision: 'allow', rule_id: 'emergency' });
      expect(await c.simulate('999')).toMatchObject({ normalized_destination: { kind: 'internal' } });
    });

    it('a locked device is held to its own level while the tenant is not locked', async () => {
      const { t, c } = await fresh();
      const locked = await seedDevice(api, t.id);
      await c.ok('PUT', `/api/v1/devices/${locked}/lock-level`, { level: 2, reason: 'stolen phone' });
      expect(await c.simulate(LONDON, { device_id: locked })).toMatchObject({ decision: 'deny', rule_id: 'lock-level:2' });
      expect(await c.simulate('1001', { device_id: locked })).toMatchObject({ decision: 'allow', rule_id: 'internal' });
      expect(await c.simulate(LONDON)).toMatchObject({ decision: 'allow' });
    });
  });

  describe('limits', () => {
    it('returns the max duration and concurrency; a device override beats the tenant value', async () => {
      const { t, c } = await fresh();
      await c.patchPolicy({ max_duration_seconds: 600 });
      expect((await c.simulate(LONDON)).limits).toEqual({ max_duration_seconds: 600, max_concurrent: 2 });
      await c.ok('PUT', `/api/v1/devices/${t.deviceId}/policy`, { max_duration_seconds: 60 });
      expect((await c.simulate(LONDON)).limits).toEqual({ max_duration_seconds: 60, max_concurrent: 2 });
      await c.patchPolicy({ max_duration_seconds: null, max_concurrent: null });
      await c.ok('DELETE', `/api/v1/devices/${t.deviceId}/policy`, undefined, 204);
      expect((await c.simulate(LONDON)).limits).toBeNull();
    });
  });

  describe('device overrides', () => {
    it('a device rule beats the tenant rule for that device only', async () => {
      const { t, c } = await fresh();
      const other = await seedDevice(api, t.id);
      await c.addRule({ kind: 'country', country: 'FR', action: 'deny' });
      await c.addRule({ kind: 'country', country: 'FR', action: 'allow', device_id: t.deviceId });
      const tenantPrefix = await c.addRule({ kind: 'prefix', prefix: '+4420', action: 'deny' });
      const devicePrefix = await c.addRule({ kind: 'prefix', prefix: '+4420', action: 'allow', device_id: t.deviceId });
      expect(await c.simulate(FRANCE)).toMatchObject({ decision: 'allow', rule_id: 'country:FR' });
      expect(await c.simulate(FRANCE, { device_id: other })).toMatchObject({ decision: 'deny', rule_id: 'country:FR' });
      expect(await c.simulate(LONDON)).toMatchObject({ decision: 'allow', rule_id: `prefix:${devicePrefix.id}` });
      expect(await c.simulate(LONDON, { device_id: other })).toMatchObject({ decision: 'deny', rule_id: `prefix:${tenantPrefix.id}` });
    });
  });

  describe('international business hours (tenant timezone)', () => {
    it('uses the tenant zone: 16:30 UTC in July is 17:30 in London, after hours', async () => {
      const { c } = await fresh();
      await c.patchPolicy({ international_hours: { days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' } });
      // Monday 6 July 2026: London is on BST (UTC+1).
      expect(await c.simulate(FRANCE, { time: '2026-07-06T15:30:00Z' })).toMatchObject({ decision: 'allow' });
      expect(await c.simulate(FRANCE, { time: '2026-07-06T16:30:00Z' })).toMatchObject({
        decision: 'deny',
        rule_id: 'hours:international',
      });
      // National calls are not restricted, and Sunday is not a listed day.
      expect(await c.simulate(LONDON, { time: '2026-07-06T16:30:00Z' })).toMatchObject({ decision: 'allow' });
      expect(await c.simulate(FRANCE, { time: '2026-07-05T12:00:00Z' })).toMatchObject({ rule_id: 'hours:international' });
      await c.patchPolicy({ international_hours: null });
      expect(await c.simulate(FRANCE, { time: '2026-07-05T12:00:00Z' })).toMatchObject({ decision: 'allow' });
    });
  });

  describe('source rules', () => {
    it('cidr_allow: calls from outside the listed networks are denied', async () => {
      const { c } = await fresh();
      await c.addSource({ kind: 'cidr_allow', value: '192.0.2.0/24' });
      expect(await c.simulate(LONDON, { source_ip: '8.8.8.8' })).toMatchObject({ decision: 'deny', rule_id: 'source-ip:tenant' });
      expect(await c.simulate(LONDON, { source_ip: '192.0.2.10' })).toMatchObject({ decision: 'allow' });
    });

    it("a device's allowed_cidrs apply to its calls", async () => {
      const { t, c } = await fresh();
      const pinned = await seedDevice(api, t.id, { allowedCidrs: ['198.51.100.0/24'] });
      expect(await c.simulate(LONDON, { device_id: pinned, source_ip: '8.8.8.8' })).toMatchObject({ rule_id: 'source-ip:device' });
      expect(await c.simulate(LONDON, { device_id: pinned, source_ip: '198.51.100.9' })).toMatchObject({ decision: 'allow' });
    });

    it('country_deny blocks the geolocated country; other and unknown (private) countries pass', async () => {
      const { c } = await fresh();
      const denyUs = await c.addSource({ kind: 'country_deny', value: 'us' });
      expect((await c.simulate(LONDON, { source_ip: '8.8.8.8' })).deciding_rule_id).toBe(denyUs.id);
      expect(await c.simulate(LONDON, { source_ip: '8.8.8.8' })).toMatchObject({
        decision: 'deny',
        rule_id: 'source-country:tenant',
        source_country: 'US',
      });
      expect(await c.simulate(LONDON, { source_ip: '81.2.69.160' })).toMatchObject({ decision: 'allow', source_country: 'GB' });
      expect(await c.simulate(LONDON, { source_ip: '10.1.2.3' })).toMatchObject({ decision: 'allow', source_country: null });
    });

    it('country_allow admits only listed countries; an unknown (private) country fails it', async () => {
      const { c } = await fresh();
      await c.addSource({ kind: 'country_allow', value: 'GB' });
      expect(await c.simulate(LONDON, { source_ip: '81.2.69.160' })).toMatchObject({ decision: 'allow' });
      expect(await c.simulate(LONDON, { source_ip: '8.8.8.8' })).toMatchObject({ rule_id: 'source-country:tenant' });
      expect(await c.simulate(LONDON, { source_ip: '127.0.0.1' })).toMatchObject({
        decision: 'deny',
        rule_id: 'source-country:tenant',
        reason: expect.stringContaining('unknown'),
      });
    });

    it('registration-only rules do not apply to calls', async () => {
      const { c } = await fresh();
      await c.addSource({ kind: 'country_deny', value: 'US', applies_to: 'registration' });
      expect(await c.simulate(LONDON, { source_ip: '8.8.8.8' })).toMatchObject({ decision: 'allow' });
    });
  });

  describe('classification', () => {
    it('reports internal, international-prefix and undialable destinations', async () => {
      const { c } = await fresh();
      expect(await c.simulate('1001')).toMatchObject({ decision: 'allow', rule_id: 'internal', scope: 'internal' });
      expect(await c.simulate('00 33 1 42 68 53 00')).toMatchObject({ normalized_destination: { kind: 'e164', number: FRANCE } });
      expect(await c.simulate('call-me')).toMatchObject({
        decision: 'deny',
        rule_id: 'invalid-destination',
        normalized_destination: { kind: 'invalid', number: null },
      });
    });
  });
});
