import { decodeProtectedHeader } from 'jose';
import { rotateKeys } from '../../apps/api/src/auth/keys/key-store';
import { SigningKeysService } from '../../apps/api/src/auth/keys/signing-keys.service';
import { login, seedTenant, seedUser, SeededUser, startApi, TestApi } from './harness';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

describe('auth: signing-key rotation', () => {
  let api: TestApi;
  let user: SeededUser;

  beforeAll(async () => {
    api = await startApi();
    const tenant = await seedTenant(api, 'Keys');
    user = await seedUser(api, tenant.id, ['tenant_admin']);
  });
  afterAll(() => api.close());

  it('signs with the new key after a rotation while tokens of the old key keep working', async () => {
    const { access: tokenA } = await login(api, user);
    const kidA = decodeProtectedHeader(tokenA).kid;

    const { newKid, retired } = await rotateKeys(api.keysDir);
    expect(retired).toEqual([kidA]);
    // The service also re-reads the directory every minute; the test doesn't wait for that.
    await api.app.get(SigningKeysService).reload();

    const { access: tokenB } = await login(api, user);
    expect(decodeProtectedHeader(tokenB).kid).toBe(newKid);
    expect(newKid).not.toBe(kidA);

    for (const token of [tokenA, tokenB]) {
      const me = await api.request('GET', '/api/v1/auth/me', { token });
      expect(me.status).toBe(200);
      expect(me.body.data.id).toBe(user.id);
    }

    const jwks = await api.request('GET', '/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    const keys: Array<Record<string, unknown>> = jwks.body.keys;
    expect(keys.map((k) => k.kid).sort()).toEqual([kidA, newKid].sort());
    for (const k of keys) {
      expect(k).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', n: expect.any(String), e: 'AQAB' });
      for (const m of PRIVATE_MEMBERS) expect(k).not.toHaveProperty(m);
    }
  });
});
