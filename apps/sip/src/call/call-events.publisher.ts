import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { QUEUES, type CallEventJob } from '@pbx/common';
import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { SIP_CONFIG, type SipConfig } from '../config/sip-config';
import { SIP_LOGGER, SIP_REDIS } from '../sip.tokens';

/**
 * Puts call events on the `call-events` queue for the fraud worker. The job id is the call and the
 * event, so a retried publish never makes a second job; retention is bounded. A failed publish is
 * logged and never holds up the call: the CDR in Postgres remains the record.
 */
@Injectable()
export class CallEventsPublisher implements OnApplicationShutdown {
  private readonly queue: Queue;
  private readonly connection: Redis;

  constructor(
    @Inject(SIP_REDIS) redis: Redis,
    @Inject(SIP_LOGGER) private readonly logger: Logger,
    @Inject(SIP_CONFIG) config: SipConfig,
  ) {
    this.connection = redis.duplicate({ connectionName: 'pbx-sip-call-events' });
    this.queue = new Queue(QUEUES.callEvents, {
      connection: this.connection,
      prefix: config.QUEUE_PREFIX,
      defaultJobOptions: { removeOnComplete: { count: 10_000 }, removeOnFail: { count: 10_000 }, attempts: 3, backoff: { type: 'exponential', delay: 1000 } },
    });
    this.queue.on('error', (err) => this.logger.warn({ err }, 'call-events queue error'));
  }

  /** Queues one event; its id is the tenant, the call and the event type, so a retry is the same job. */
  publish(event: Omit<CallEventJob, 'eventId' | 'occurredAt'>, at: number): void {
    // BullMQ refuses a custom id with a ':' unless it has exactly three parts: the Call-ID (which may hold
    // any character) loses its colons.
    const subject = (event.callId ?? event.deviceId ?? '').replace(/[^A-Za-z0-9@._-]/g, '_').slice(0, 200);
    const eventId = `${event.tenantId}:${subject}:${event.type}`;
    const job: CallEventJob = { ...event, eventId, occurredAt: new Date(at).toISOString() };
    this.queue
      .add(event.type, job, { jobId: eventId })
      .catch((err: unknown) => this.logger.warn({ err, callId: event.callId, type: event.type }, 'call event not queued'));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
    // BullMQ leaves a connection it was given open.
    await this.connection.quit().catch(() => this.connection.disconnect());
  }
}
