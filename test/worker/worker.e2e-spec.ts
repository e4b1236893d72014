import { createLogger, createRedis, QUEUES } from '@pbx/common';
import { Job, Queue } from 'bullmq';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { loadWorkerConfig } from '../../apps/worker/src/config/worker-config';
import { RunningWorker, startWorker } from '../../apps/worker/src/worker';

/** Polls with a short delay until the job settles, or fails the test at the deadline. */
async function settled(job: Job, deadlineMs = 10_000): Promise<string> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const state = await job.getState();
    if (state === 'completed' || state === 'failed') return state;
    if (Date.now() > until) throw new Error(`job ${job.id} still ${state} after ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('worker: call-events queue', () => {
  const prefix = `pbx-test:bull-${randomUUID().slice(0, 8)}`;
  let worker: RunningWorker;
  let redis: Redis;
  let queue: Queue;

  beforeAll(async () => {
    const config = loadWorkerConfig({
      ...process.env,
      QUEUE_PREFIX: prefix,
      WORKER_OPS_PORT: '0',
      AUDIT_HMAC_KEY: 'w'.repeat(64),
      MAINTENANCE_ENABLED: 'false',
    });
    worker = await startWorker(config, createLogger('worker-test', process.env.TEST_LOG_LEVEL ?? 'silent'));
    redis = createRedis(config.REDIS_URL, 'pbx-worker-test');
    queue = new Queue(QUEUES.callEvents, { connection: redis, prefix });
  });

  afterAll(async () => {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    await redis.quit();
  });

  it('completes a well-formed event', async () => {
    const job = await queue.add('call.started', {
      eventId: randomUUID(),
      type: 'call.started',
      tenantId: randomUUID(),
      callId: `${randomUUID()}@test`,
      occurredAt: new Date().toISOString(),
    });
    expect(await settled(job)).toBe('completed');
  });

  it('fails a malformed event at once, without retrying it', async () => {
    const job = await queue.add('call.started', { type: 'call.exploded', tenantId: 'nope' }, { attempts: 5, backoff: { type: 'fixed', delay: 10 } });
    expect(await settled(job)).toBe('failed');
    const failed = await Job.fromId(queue, job.id as string);
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.failedReason).toMatch(/invalid call-events payload: eventId must be 1-300 characters; type must be one of .*tenantId must be a UUID/);
  });

  it('reports ready on its ops port and counts jobs in /metrics', async () => {
    const ready = await fetch(`http://127.0.0.1:${worker.opsPort}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ok',
      checks: { database: { status: 'up' }, redis: { status: 'up' }, queue: { status: 'up' } },
    });
    const metrics = await (await fetch(`http://127.0.0.1:${worker.opsPort}/metrics`)).text();
    expect(metrics).toMatch(/worker_call_events_jobs_total\{outcome="completed",app="worker"\} 1/);
    expect(metrics).toMatch(/worker_call_events_jobs_total\{outcome="failed",app="worker"\} 1/);
  });
});
