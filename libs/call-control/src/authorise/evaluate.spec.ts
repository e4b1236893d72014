import type Redis from 'ioredis';
import { PolicyEvaluator } from './evaluate';
import { PolicyCache } from './policy-cache';

const TENANT = { id: 't1', defaultCountry: 'GB', timezone: 'Europe/London', lockLevel: 3, lockReason: null };
const cache = new PolicyCache({
  load: async (tenantId) => ({ data: { tenantId, country: 'GB', timezone: 'Europe/London', lockLevel: 3 }, tenant: TENANT }),
});
/** A Redis whose every command fails, as during an outage. */
const downRedis = {
  pipeline: () => {
    throw new Error('redis down');
  },
} as unknown as Redis;
const call = (dialed: string) => ({ tenantId: 't1', deviceId: 'd1', dialed, sourceIp: '10.0.0.1', timestamp: 0 });

describe('PolicyEvaluator', () => {
  const evaluator = new PolicyEvaluator(cache, downRedis);

  it('decides emergency calls without touching Redis', async () => {
    const result = await evaluator.evaluate(call('999'));
    expect(result.decision).toMatchObject({ decision: 'allow', ruleId: 'emergency' });
    expect(result.sourceCountry).toBeUndefined();
  });

  it('needs the counters for anything else', async () => {
    await expect(evaluator.evaluate(call('+442079460018'))).rejects.toThrow('redis down');
  });

  it('denies an undialable string with the normaliser reason and a one-step trace', async () => {
    const upRedis = {
      pipeline: () => {
        const p = { zcount: () => p, get: () => p, hgetall: () => p, zscore: () => p, zrangebyscore: () => p, exec: async () => results };
        return p;
      },
    } as unknown as Redis;
    const results = [0, 0, 0, 0, 0, 0, null, null, {}, []].map((v) => [null, v]);
    const result = await new PolicyEvaluator(cache, upRedis).evaluate(call('call-me'), { explain: true });
    expect(result.attempt).toBeUndefined();
    expect(result.decision).toEqual({
      decision: 'deny',
      ruleId: 'invalid-destination',
      reason: expect.stringContaining('cannot be dialed'),
      trace: [{ step: 'decision', outcome: 'deny', detail: expect.stringContaining('invalid-destination') }],
    });
  });
});
