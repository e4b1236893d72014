import type Redis from 'ioredis';
import { Registry } from 'prom-client';
import { InvalidationPublisher } from './invalidation';
import { RedisChannels } from './redis-keys';

describe('InvalidationPublisher', () => {
  it('publishes one message on the invalidation channel', async () => {
    const publish = jest.fn().mockResolvedValue(1);
    const p = new InvalidationPublisher({ publish } as unknown as Redis, { logger: { error: jest.fn() } });
    await p.publish('device', 't1', 'd1');
    expect(publish).toHaveBeenCalledWith(RedisChannels.invalidate, expect.stringContaining('"kind":"device"'));
    expect(JSON.parse(publish.mock.calls[0][1] as string)).toMatchObject({ kind: 'device', tenantId: 't1', id: 'd1' });
  });

  it('logs and counts a failed publish instead of throwing', async () => {
    const registry = new Registry();
    const error = jest.fn();
    const redis = { publish: jest.fn().mockRejectedValue(new Error('ECONNREFUSED')) } as unknown as Redis;
    const p = new InvalidationPublisher(redis, { logger: { error }, registry });
    await expect(p.publish('policy', 't1')).resolves.toBeUndefined();
    await p.publish('policy', 't2');
    expect(error).toHaveBeenCalledTimes(2);
    expect(error.mock.calls[0][0]).toMatchObject({ kind: 'policy', tenantId: 't1' });
    expect(await p.failedCount()).toBe(2);
    expect(await registry.metrics()).toMatch(/pbx_invalidation_publish_failures_total\{kind="policy"\} 2/);
  });
});
