import { randomUUID } from 'node:crypto';
import { publishInvalidation } from './invalidation';
import { InvalidationSubscriber } from './invalidation-subscriber';
import { createRedis } from './redis';
import { InvalidationMessage, RedisChannels } from './redis-keys';

// Integration: a real Redis, as in production. The SIP app drops caches on these messages.
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function until(check: () => boolean, deadlineMs = 1000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('InvalidationSubscriber (real Redis)', () => {
  const publisher = createRedis(REDIS_URL, 'pbx-test-invalidation-pub');
  const logger = { warn: jest.fn(), error: jest.fn(), info: jest.fn() };
  afterAll(() => publisher.quit());

  async function start(extra: { onResync?: () => void } = {}) {
    const seen: InvalidationMessage[] = [];
    const name = `pbx-test-inv-${randomUUID().slice(0, 8)}`;
    const sub = await InvalidationSubscriber.start({
      redisUrl: REDIS_URL,
      connectionName: name,
      logger,
      handlers: {
        device: (m) => void seen.push(m),
        ban: () => {
          throw new Error('handler bug');
        },
      },
      ...extra,
    });
    return { sub, seen, name };
  }

  it('hands a published message to the handler of its kind within a second', async () => {
    const { sub, seen } = await start();
    try {
      const id = randomUUID();
      const t0 = Date.now();
      await publishInvalidation(publisher, 'device', 'tenant-1', id);
      await until(() => seen.length === 1);
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(seen[0]).toMatchObject({ kind: 'device', tenantId: 'tenant-1', id });
    } finally {
      await sub.close();
    }
  });

  it('ignores malformed messages and kinds without a handler, and survives a throwing handler', async () => {
    const { sub, seen } = await start();
    try {
      logger.warn.mockClear();
      logger.error.mockClear();
      await publisher.publish(RedisChannels.invalidate, '{not json');
      await publisher.publish(RedisChannels.invalidate, JSON.stringify({ kind: 'device' }));
      await publisher.publish(RedisChannels.invalidate, 'null');
      await publishInvalidation(publisher, 'policy', null);
      await publishInvalidation(publisher, 'ban', null, 'b1');
      await publishInvalidation(publisher, 'device', 't', 'after');
      await until(() => seen.length === 1);
      expect(seen.map((m) => m.id)).toEqual(['after']);
      expect(logger.warn).toHaveBeenCalledTimes(3);
      expect(logger.error).toHaveBeenCalledTimes(1);
    } finally {
      await sub.close();
    }
  });

  it('after its connection is killed, resyncs and keeps receiving', async () => {
    const onResync = jest.fn();
    const { sub, seen, name } = await start({ onResync });
    try {
      const clients = String(await publisher.client('LIST'));
      const line = clients.split('\n').find((l) => l.includes(`name=${name} `));
      const id = /id=(\d+)/.exec(line ?? '')?.[1];
      expect(id).toBeDefined();
      await publisher.client('KILL', 'ID', id as string);
      await until(() => onResync.mock.calls.length === 1, 5000);
      await publishInvalidation(publisher, 'device', 't', 'post-reconnect');
      await until(() => seen.some((m) => m.id === 'post-reconnect'), 2000);
    } finally {
      await sub.close();
    }
  });
});
