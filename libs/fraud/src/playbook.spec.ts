import { DEFAULT_PLAYBOOK, lockLevelFor, parsePlaybook, planActions } from './playbook';
import { signWebhook, verifyWebhook } from './webhook-signature';

describe('parsePlaybook', () => {
  const valid = { actions: { info: [], warning: ['notify'], critical: ['revoke-sessions', 'notify', 'raise-lock'] }, lock_level: 2, webhook_url: 'https://hooks.example.com/pbx' };

  it('accepts a full playbook and orders each list as the actions run', () => {
    const r = parsePlaybook(valid);
    expect(r).toEqual({
      ok: true,
      playbook: { actions: { info: [], warning: ['notify'], critical: ['notify', 'raise-lock', 'revoke-sessions'] }, lockLevel: 2, webhookUrl: 'https://hooks.example.com/pbx' },
    });
  });

  it('names every bad field', () => {
    const r = parsePlaybook({ actions: { info: ['explode'], warning: 'notify', critical: ['notify', 'notify'], panic: [] }, lock_level: 7, webhook_url: 'http://hooks.example.com/', extra: 1 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(Object.keys(r.errors).sort()).toEqual(['actions.critical', 'actions.info', 'actions.panic', 'actions.warning', 'extra', 'lock_level', 'webhook_url']);
    expect(r.errors['actions.info'][0]).toMatch(/Unknown action\(s\): explode/);
    expect(r.errors.webhook_url[0]).toMatch(/https/);
  });

  it('requires the actions and refuses credentials in the URL; allows http only to loopback', () => {
    expect(parsePlaybook({})).toEqual({ ok: false, errors: { actions: [expect.stringMatching(/required/)] } });
    const creds = parsePlaybook({ ...valid, webhook_url: 'https://u:p@hooks.example.com/' });
    expect(creds.ok ? null : creds.errors.webhook_url).toEqual([expect.stringMatching(/credentials/)]);
    expect(parsePlaybook({ ...valid, webhook_url: 'http://127.0.0.1:8080/h' }).ok).toBe(true);
    expect(parsePlaybook([]).ok).toBe(false);
  });
});

describe('planActions', () => {
  const withHook = { ...DEFAULT_PLAYBOOK, webhookUrl: 'https://h.example/' };

  it('runs the severity’s actions not yet taken for the alert', () => {
    expect(planActions(withHook, 'critical', { hasDevice: true, done: [] })).toEqual(DEFAULT_PLAYBOOK.actions.critical);
    expect(planActions(withHook, 'critical', { hasDevice: true, done: ['notify', 'raise-lock'] })).toEqual([
      'suspend-device',
      'hangup-calls',
      'rotate-credentials',
      'revoke-sessions',
    ]);
  });

  it('drops device actions for tenant-wide alerts and notify without a webhook', () => {
    expect(planActions(withHook, 'critical', { hasDevice: false, done: [] })).toEqual(['notify', 'raise-lock']);
    expect(planActions(DEFAULT_PLAYBOOK, 'warning', { hasDevice: true, done: [] })).toEqual(['raise-lock']);
    expect(planActions(DEFAULT_PLAYBOOK, 'info', { hasDevice: true, done: [] })).toEqual([]);
  });
});

describe('webhook signature', () => {
  const body = '{"alert":1}';
  const now = 1_765_000_000;

  it('verifies what it signed, within the tolerance only', () => {
    const signature = signWebhook('s3cret', now, body);
    expect(signature).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(verifyWebhook('s3cret', { timestamp: String(now), signature }, body, now + 10)).toBe(true);
    expect(verifyWebhook('s3cret', { timestamp: String(now), signature }, body, now + 301)).toBe(false);
  });

  it('rejects another body, secret or timestamp', () => {
    const signature = signWebhook('s3cret', now, body);
    expect(verifyWebhook('s3cret', { timestamp: String(now), signature }, '{"alert":2}', now)).toBe(false);
    expect(verifyWebhook('other', { timestamp: String(now), signature }, body, now)).toBe(false);
    expect(verifyWebhook('s3cret', { timestamp: String(now + 1), signature }, body, now)).toBe(false);
    expect(verifyWebhook('s3cret', { timestamp: String(now), signature: undefined }, body, now)).toBe(false);
  });
});

describe('lockLevelFor', () => {
  it("takes the playbook's level, or the level the finding says stops it, whichever is higher", () => {
    expect(lockLevelFor(DEFAULT_PLAYBOOK, { calls: 40 })).toBe(1);
    expect(lockLevelFor(DEFAULT_PLAYBOOK, { lockToStop: 2 })).toBe(2);
    expect(lockLevelFor({ ...DEFAULT_PLAYBOOK, lockLevel: 3 }, { lockToStop: 2 })).toBe(3);
    // Anything else in the evidence is not a level.
    expect(lockLevelFor(DEFAULT_PLAYBOOK, { lockToStop: '3' })).toBe(1);
    expect(lockLevelFor(DEFAULT_PLAYBOOK, { lockToStop: 9 })).toBe(1);
  });
});
