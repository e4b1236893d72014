import { seedTenant, seedUser, SeededUser, startApi, TestApi } from './harness';

/**
 * An unknown email must cost one bcrypt comparison like a wrong password does. At cost 10 a bcrypt
 * takes tens of milliseconds, far above the rest of the request, so skipping it would show as a
 * ratio near 0.1; the bounds below leave room for a noisy machine.
 */
describe('auth: login timing does not reveal whether an account exists', () => {
  let api: TestApi;
  let user: SeededUser;

  beforeAll(async () => {
    api = await startApi({ BCRYPT_COST: '10', LOGIN_RATE_PER_IP: '1000', LOGIN_RATE_PER_ACCOUNT: '1000', LOGIN_MAX_FAILURES: '100' });
    const t = await seedTenant(api);
    user = await seedUser(api, t.id, ['agent']);
    // Re-hash at cost 10 through a successful login (the API upgrades the cost on login).
    await api.request('POST', '/api/v1/auth/login', { body: { email: user.email, password: user.password } });
  });
  afterAll(() => api.close());

  async function median(body: object, n = 7): Promise<number> {
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const start = process.hrtime.bigint();
      const res = await api.request('POST', '/api/v1/auth/login', { body });
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
      expect(res.status).toBe(422);
    }
    return times.sort((a, b) => a - b)[Math.floor(n / 2)];
  }

  it('takes about as long for an unknown email as for a wrong password', async () => {
    const wrong = await median({ email: user.email, password: 'definitely-wrong' });
    const unknown = await median({ email: `nobody-${Date.now()}@example.test`, password: 'definitely-wrong' });
    const ratio = unknown / wrong;
    expect(wrong).toBeGreaterThan(20);
    expect(ratio).toBeGreaterThan(0.6);
    expect(ratio).toBeLessThan(1.6);
  });
});
