// Environment for tests: the real local Postgres and Redis, never mocks. Values set by the
// caller win, so CI or a developer can point the suite elsewhere.
process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/test';
process.env.REDIS_URL ??= 'redis://127.0.0.1:6379';
process.env.LOG_LEVEL ??= 'silent';
process.env.NODE_ENV ??= 'test';
