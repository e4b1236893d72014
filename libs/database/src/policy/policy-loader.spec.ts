import type { DestinationRuleEntity, DevicePolicyOverrideEntity, FraudPolicyEntity, SourceRuleEntity } from '../entities';
import { DEFAULT_STEP_UP, policyDataFromRows, PolicyRows } from './policy-loader';

const TENANT = { id: 't1', defaultCountry: 'GB', timezone: 'Europe/London', lockLevel: 0, lockReason: null };

function policy(overrides: Partial<FraudPolicyEntity> = {}): FraudPolicyEntity {
  return {
    tenantId: 't1',
    allowHighRisk: false,
    allowFraud: false,
    maxDurationSeconds: 7200,
    maxConcurrent: 2,
    maxCallsPerMinute: 10,
    maxCallsPerHour: 120,
    tenantMaxConcurrent: null,
    tenantMaxCallsPerMinute: null,
    tenantMaxCallsPerHour: null,
    dailyCap: null,
    monthlyCap: null,
    dailyEscalation: 1,
    monthlyEscalation: 2,
    stepUpFirstCalls: 3,
    stepUpMaxDurationSeconds: 300,
    wangiriWindowSeconds: 3600,
    intlHoursDays: null,
    intlHoursStart: null,
    intlHoursEnd: null,
    emergencyNumbers: null,
    updatedAt: new Date(),
    ...overrides,
  };
}

const rule = (r: Partial<DestinationRuleEntity>) => ({ deviceId: null, note: null, prefix: null, country: null, ...r }) as DestinationRuleEntity;
const source = (r: Partial<SourceRuleEntity>) => ({ deviceId: null, note: null, appliesTo: 'both', ...r }) as SourceRuleEntity;
const device = (id: string, extra: Partial<PolicyRows['devices'][number]> = {}) => ({
  id,
  tenantId: 't1',
  name: id,
  status: 'active' as const,
  lockLevel: 0,
  lockReason: null,
  allowedCidrs: [],
  ...extra,
});

function rows(extra: Partial<PolicyRows> = {}): PolicyRows {
  return { tenant: TENANT, policy: policy(), destinationRules: [], sourceRules: [], rates: [], overrides: [], devices: [], ...extra };
}

describe('policyDataFromRows', () => {
  it('maps the defaults row: limits, step-up, wangiri; no caps, hours or emergency list', () => {
    const data = policyDataFromRows(rows());
    expect(data).toMatchObject({
      tenantId: 't1',
      country: 'GB',
      timezone: 'Europe/London',
      lockLevel: 0,
      destinations: { prefixRules: [], countries: {}, allowHighRisk: false, allowFraud: false },
      limits: { maxDurationSeconds: 7200, maxConcurrent: 2, maxCallsPerMinute: 10, maxCallsPerHour: 120 },
      stepUp: { firstCalls: 3, maxDurationSeconds: 300 },
      wangiri: { windowSeconds: 3600 },
      devices: [],
    });
    expect(data.spendCaps).toEqual({ dailyEscalation: 1, monthlyEscalation: 2 });
    expect(data.internationalHours).toBeUndefined();
    expect(data.emergencyNumbers).toBeUndefined();
    expect(data.source).toBeUndefined();
  });

  it('turns NULL step-up, wangiri and limits off, and fills hours with every day when days is NULL', () => {
    const data = policyDataFromRows(
      rows({
        policy: policy({
          stepUpFirstCalls: null,
          wangiriWindowSeconds: null,
          maxConcurrent: null,
          intlHoursStart: '09:00',
          intlHoursEnd: '17:00',
          dailyCap: 50,
        }),
      }),
    );
    expect(data.stepUp).toBeUndefined();
    expect(data.wangiri).toBeUndefined();
    expect(data.limits?.maxConcurrent).toBeUndefined();
    expect(data.internationalHours).toEqual({ days: [0, 1, 2, 3, 4, 5, 6], start: '09:00', end: '17:00' });
    expect(data.spendCaps).toEqual({ daily: 50, dailyEscalation: 1, monthlyEscalation: 2 });
  });

  it('splits tenant and device rules; registration-only source rules are left out', () => {
    const data = policyDataFromRows(
      rows({
        destinationRules: [
          rule({ id: 'r1', kind: 'prefix', prefix: '+44', action: 'allow' }),
          rule({ id: 'r2', kind: 'country', country: 'fr', action: 'deny' }),
          rule({ id: 'r3', kind: 'prefix', prefix: '+447', action: 'deny', deviceId: 'd1' }),
        ],
        sourceRules: [
          source({ id: 's1', kind: 'cidr_allow', value: '192.0.2.0/24' }),
          source({ id: 's2', kind: 'country_deny', value: 'RU', appliesTo: 'call' }),
          source({ id: 's3', kind: 'country_allow', value: 'GB', appliesTo: 'registration' }),
          source({ id: 's4', kind: 'country_allow', value: 'US', deviceId: 'd1' }),
        ],
        devices: [device('d1', { allowedCidrs: ['198.51.100.7/32'] })],
      }),
    );
    expect(data.destinations).toMatchObject({
      prefixRules: [{ id: 'r1', prefix: '+44', action: 'allow' }],
      countries: { FR: 'deny' },
      countryRuleIds: { FR: 'r2' },
    });
    expect(data.source).toEqual({ allowedCidrs: ['192.0.2.0/24'], deniedCountries: ['RU'], deniedCountryRuleIds: { RU: 's2' } });
    expect(data.devices).toEqual([
      {
        deviceId: 'd1',
        destinations: { prefixRules: [{ id: 'r3', prefix: '+447', action: 'deny' }], countries: {}, countryRuleIds: {} },
        source: { allowedCidrs: ['198.51.100.7/32'], allowedCountries: ['US'] },
      },
    ]);
  });

  it('maps device lock levels and overrides; step_up_enabled false disables, true enables with defaults', () => {
    const override = (deviceId: string, o: Partial<DevicePolicyOverrideEntity>) =>
      ({ deviceId, tenantId: 't1', maxDurationSeconds: null, maxConcurrent: null, maxCallsPerMinute: null, maxCallsPerHour: null, stepUpEnabled: null, ...o }) as DevicePolicyOverrideEntity;
    const data = policyDataFromRows(
      rows({
        policy: policy({ stepUpFirstCalls: null }),
        overrides: [override('d1', { maxDurationSeconds: 60, stepUpEnabled: false }), override('d2', { stepUpEnabled: true })],
        devices: [device('d1', { lockLevel: 2 }), device('d2')],
      }),
    );
    expect(data.devices).toEqual([
      { deviceId: 'd1', lockLevel: 2, limits: { maxDurationSeconds: 60 }, stepUp: null },
      { deviceId: 'd2', stepUp: DEFAULT_STEP_UP },
    ]);
  });
});
