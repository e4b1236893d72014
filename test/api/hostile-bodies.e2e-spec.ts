import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { login, seedTenant, seedUser, startApi, TestApi } from './harness';

const DEPTH = 10_000;
const BODIES: Record<string, string> = {
  arrays: `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`,
  objects: `${'{"a":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}`,
  'a field': `{"email":${'['.repeat(DEPTH)}${']'.repeat(DEPTH)},"password":"x"}`,
  'unclosed arrays (4 KB)': '['.repeat(4096),
};

interface Route {
  method: string;
  path: string;
}

/** A raw request: fetch refuses a body on GET, a hostile client does not. */
function rawStatus(api: TestApi, method: string, path: string, body: string, token?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
    if (token) headers.authorization = `Bearer ${token}`;
    const req = httpRequest(`${api.baseUrl}${path}`, { method, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Every route the API documents, with its path parameters filled in. */
async function everyRoute(api: TestApi): Promise<Route[]> {
  const doc = (await api.request('GET', '/api/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
  const routes: Route[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const method of Object.keys(methods)) {
      routes.push({ method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, randomUUID()) });
    }
  }
  return routes;
}

describe('hostile JSON bodies', () => {
  let api: TestApi;
  let token: string;

  beforeAll(async () => {
    api = await startApi();
    const tenant = await seedTenant(api, 'Hostile');
    token = (await login(api, await seedUser(api, tenant.id, ['platform_admin']))).access;
  });
  afterAll(() => api.close());

  it('answer no 5xx on any route, signed in or not, to bodies nested 10,000 deep', async () => {
    const routes = await everyRoute(api);
    expect(routes.length).toBeGreaterThan(50);
    const failures: string[] = [];
    for (const route of routes) {
      for (const [kind, body] of Object.entries(BODIES)) {
        for (const auth of [undefined, token]) {
          const status = await rawStatus(api, route.method, route.path, body, auth);
          if (status >= 500) failures.push(`${route.method} ${route.path} (${kind}): ${status}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('answer 422 naming the limit for a deep body, before authentication or validation', async () => {
    for (const path of ['/api/v1/auth/login', '/api/v1/devices']) {
      const res = await api.request('POST', path, { body: BODIES.objects });
      expect(res.status).toBe(422);
      expect(res.body).toEqual({
        message: 'The request body must not be nested more than 32 levels deep.',
        errors: { body: ['The request body must not be nested more than 32 levels deep.'] },
      });
    }
    const keys = `{${Array.from({ length: 10_001 }, (_, i) => `"k${i}":1`).join(',')}}`;
    expect((await api.request('POST', '/api/v1/auth/login', { body: keys })).body.errors).toEqual({
      body: ['The request body must not have more than 10000 keys.'],
    });
  });

  it('answer 400 to unparsable JSON and keep accepting ordinary bodies', async () => {
    const bad = await api.request('POST', '/api/v1/auth/login', { body: '{"email": ' });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ message: 'The request body is not valid JSON.' });
    const poisoned = await api.request('POST', '/api/v1/auth/login', { body: '{"__proto__": {"x": 1}}' });
    expect(poisoned.status).toBe(400);
    const ordinary = await api.request('POST', '/api/v1/auth/login', { body: { email: 'nobody@example.test', password: 'x' } });
    expect(ordinary.status).toBe(422);
  });

  it('answer 401 to any token the refresh endpoint cannot use, an access token included', async () => {
    for (const refresh_token of [token, 'x'.repeat(5000), randomUUID()]) {
      const res = await api.request('POST', '/api/v1/auth/refresh', { body: { refresh_token } });
      expect(res.status).toBe(401);
    }
  });
});
