import { ConfigError } from '@pbx/config';
import { loadApiConfig } from './api-config';

const valid = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
  REDIS_URL: 'redis://127.0.0.1:6379',
  JWT_KEYS_DIR: '/tmp/keys',
  AUDIT_HMAC_KEY: 'x'.repeat(32),
  SECRETS_KEKS: `1:${Buffer.alloc(32, 1).toString('base64')}`,
};

describe('api config', () => {
  it('accepts a complete environment and applies defaults', () => {
    const cfg = loadApiConfig(valid);
    expect(cfg.BCRYPT_COST).toBe(12);
    expect(cfg.JWT_ACCESS_TTL_SECONDS).toBe(3600);
    expect(cfg.LOGIN_MAX_FAILURES).toBe(5);
    expect(cfg.CORS_ORIGINS).toEqual([]);
  });

  it('refuses key-encryption keys that are not versioned 32-byte keys', () => {
    expect(() => loadApiConfig({ ...valid, SECRETS_KEKS: 'abc' })).toThrow(/SECRETS_KEKS/);
    expect(() => loadApiConfig({ ...valid, SECRETS_KEKS: `1:${Buffer.alloc(16).toString('base64')}` })).toThrow(/SECRETS_KEKS/);
  });

  it('limits /metrics to private ranges by default and validates the list', () => {
    expect(loadApiConfig(valid).METRICS_ALLOW_CIDRS).toContain('127.0.0.0/8');
    expect(loadApiConfig({ ...valid, METRICS_ALLOW_CIDRS: '10.1.0.0/16, fd00::/8' }).METRICS_ALLOW_CIDRS).toEqual(['10.1.0.0/16', 'fd00::/8']);
    expect(() => loadApiConfig({ ...valid, METRICS_ALLOW_CIDRS: '999.1.1.1/8' })).toThrow(/METRICS_ALLOW_CIDRS/);
    expect(() => loadApiConfig({ ...valid, METRICS_ALLOW_CIDRS: '10.0.0.0/33' })).toThrow(/METRICS_ALLOW_CIDRS/);
  });

  it('names a missing secret instead of defaulting it', () => {
    const { AUDIT_HMAC_KEY: _omit, ...rest } = valid;
    expect(() => loadApiConfig(rest)).toThrow(/AUDIT_HMAC_KEY is required/);
  });

  it('names a malformed variable without echoing its value', () => {
    let err: unknown;
    try {
      loadApiConfig({ ...valid, DATABASE_URL: 'mysql://secret-pw@host/db', BCRYPT_COST: 'twelve' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    expect(message).toMatch(/DATABASE_URL/);
    expect(message).toMatch(/BCRYPT_COST/);
    expect(message).not.toMatch(/secret-pw/);
  });
});
