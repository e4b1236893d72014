import { startApi, TestApi } from './harness';

describe('platform: headers, CORS, health, metrics, docs, error shapes', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.close());

  it('sends HSTS, no-sniff and frame-deny on every answer', async () => {
    const res = await api.request('GET', '/api/v1/auth/me');
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=31536000/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });

  it('keeps CORS off by default', async () => {
    const res = await api.request('OPTIONS', '/api/v1/auth/login', {
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('echoes a caller request id, and makes one up otherwise', async () => {
    const given = await api.request('GET', '/health/live', { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const made = await api.request('GET', '/health/live', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reports liveness and readiness of Postgres and Redis', async () => {
    expect((await api.request('GET', '/health/live')).body).toEqual({ status: 'ok' });
    const ready = await api.request('GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ok', checks: { database: { status: 'up' }, redis: { status: 'up' } } });
  });

  it('exposes Prometheus metrics with request durations by route', async () => {
    await api.request('GET', '/health/live');
    const res = await api.request('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/http_request_duration_seconds_bucket\{.*route="\/health\/live"/);
    expect(res.text).toMatch(/process_resident_memory_bytes/);
  });

  it('answers /metrics only to the allowed source ranges', async () => {
    const closed = await startApi({ METRICS_ALLOW_CIDRS: '10.0.0.0/8' });
    try {
      const res = await closed.request('GET', '/metrics');
      expect(res.status).toBe(404);
      expect(res.text).not.toMatch(/http_request_duration_seconds/);
    } finally {
      await closed.close();
    }
  });

  it('serves the OpenAPI document with bearer auth and the error shapes', async () => {
    const res = await api.request('GET', '/api/docs-json');
    expect(res.status).toBe(200);
    expect(res.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const login = res.body.paths['/api/v1/auth/login'].post;
    expect(Object.keys(login.responses)).toEqual(expect.arrayContaining(['200', '422', '429', '500']));
    expect(login.responses['422'].content['application/json'].schema.properties.errors).toBeDefined();
    expect(res.body.paths['/api/v1/auth/me'].get.security).toEqual([{ bearer: [] }]);
    const ui = await api.request('GET', '/api/docs');
    expect(ui.status).toBe(200);
    expect(ui.text).toMatch(/swagger/i);
  });

  it('answers unknown routes with a Laravel 404 body', async () => {
    const res = await api.request('GET', '/api/v1/nothing-here', { headers: {} });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ message: 'Not Found.' });
  });
});
