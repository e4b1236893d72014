import { compilePolicy } from './compile';
import { decide } from './decide';
import { attempt, counters, policyData } from './testing/fixtures';
import type { PolicyData } from './types';

const FRANCE = '+33142685300';

describe('decide: source checks', () => {
  function fromSource(
    data: Partial<PolicyData>,
    sourceIp: string,
    sourceCountry?: string,
    deviceId = 'dev-1',
  ) {
    return decide(
      compilePolicy(policyData(data)),
      counters(),
      attempt(FRANCE, { sourceIp, sourceCountry, deviceId }),
    );
  }

  it('requires the source IP in the allowed CIDRs (IPv4 and IPv6)', () => {
    const source = { allowedCidrs: ['192.0.2.0/24', '2001:db8::/32'] };
    expect(fromSource({ source }, '192.0.2.200').decision).toBe('allow');
    expect(fromSource({ source }, '2001:db8:1::9').decision).toBe('allow');
    expect(fromSource({ source }, '198.51.100.1')).toMatchObject({
      decision: 'deny',
      ruleId: 'source-ip:tenant',
    });
    expect(fromSource({ source }, '2001:db9::1').ruleId).toBe('source-ip:tenant');
    expect(fromSource({ source }, 'not-an-ip').ruleId).toBe('source-ip:tenant');
  });

  it('device CIDRs replace tenant CIDRs', () => {
    const data = {
      source: { allowedCidrs: ['192.0.2.0/24'] },
      devices: [{ deviceId: 'dev-1', source: { allowedCidrs: ['10.0.0.0/8'] } }],
    };
    expect(fromSource(data, '10.1.1.1').decision).toBe('allow');
    expect(fromSource(data, '192.0.2.1').ruleId).toBe('source-ip:device');
    expect(fromSource(data, '192.0.2.1', undefined, 'dev-2').decision).toBe('allow');
  });

  it('denies listed source countries and unlisted ones when an allow list exists', () => {
    expect(fromSource({ source: { deniedCountries: ['ru'] } }, '192.0.2.1', 'RU').ruleId).toBe(
      'source-country:tenant',
    );
    expect(fromSource({ source: { deniedCountries: ['RU'] } }, '192.0.2.1', 'GB').decision).toBe('allow');
    expect(fromSource({ source: { deniedCountries: ['RU'] } }, '192.0.2.1').decision).toBe('allow');
    const allowGb = { source: { allowedCountries: ['GB'] } };
    expect(fromSource(allowGb, '192.0.2.1', 'gb').decision).toBe('allow');
    expect(fromSource(allowGb, '192.0.2.1', 'FR').ruleId).toBe('source-country:tenant');
    expect(fromSource(allowGb, '192.0.2.1').reason).toContain('unknown');
  });

  it('applies to internal calls too', () => {
    const compiled = compilePolicy(policyData({ source: { allowedCidrs: ['10.0.0.0/8'] } }));
    expect(decide(compiled, counters(), attempt('201')).ruleId).toBe('source-ip:tenant');
  });
});

describe('decide: explain', () => {
  it('returns the evaluated steps only when asked', () => {
    const compiled = compilePolicy(
      policyData({ rates: [{ prefix: '33', perMinute: 1 }], spendCaps: { daily: 100 } }),
    );
    expect(decide(compiled, counters(), attempt(FRANCE)).trace).toBeUndefined();
    const explained = decide(compiled, counters(), attempt(FRANCE), { explain: true });
    expect(explained.trace?.map((step) => step.step)).toEqual([
      'emergency',
      'classify',
      'source',
      'lock-level',
      'destination',
      'counters',
      'spend',
      'decision',
    ]);
    expect(explained.trace?.at(-1)).toEqual({
      step: 'decision',
      outcome: 'allow',
      detail: 'country-tier:low:FR: FR is a low-risk destination',
    });
  });

  it('stops the trace at the deciding step on a deny', () => {
    const compiled = compilePolicy(policyData({ lockLevel: 1 }));
    const explained = decide(compiled, counters(), attempt(FRANCE), { explain: true });
    expect(explained.trace?.map((step) => `${step.step}:${step.outcome}`)).toEqual([
      'emergency:skip',
      'classify:match',
      'source:pass',
      'decision:deny',
    ]);
    expect(explained.trace?.at(-1)?.detail).toContain('lock-level:1');
  });
});
