import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { durations } from '@pbx/call-control';
import { RedisKeys, removeCall } from '@pbx/common';
import { CdrsRepository, type CdrInsert } from '@pbx/database';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { SIP_CONFIG, type SipConfig } from '../config/sip-config';
import { SIP_LOGGER, SIP_METRICS, SIP_REDIS } from '../sip.tokens';

/** A journal nobody recovers (no SIP app ever starts again) does not stay in Redis for good. */
const JOURNAL_TTL_S = 7 * 24 * 3600;
const ALIVE = '__alive';

/** A CDR draft as JSON: dates as ISO strings. */
type Draft = Omit<CdrInsert, 'startedAt' | 'answeredAt' | 'endedAt'> & { startedAt: string; answeredAt?: string | null; endedAt?: string | null };

/**
 * Write-ahead record of the calls this process carries, so a crash loses no CDR: each call's draft
 * CDR is in Redis from its first INVITE until its row is in Postgres. Every instance renews a key
 * of its own; any instance finding the journal of an instance whose key expired writes those
 * calls' CDRs (ended at that instance's last heartbeat) and removes them from the live calls.
 * Counters need no such care: the policy gate's reservations are leases that expire by themselves.
 */
@Injectable()
export class CallJournal implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly instanceId = randomUUID();
  private readonly key = RedisKeys.sipJournal(this.instanceId);
  private heartbeat?: NodeJS.Timeout;
  private sweeper?: NodeJS.Timeout;
  private readonly recovered: Counter;
  /** An instance that has not renewed its key for this long is dead (SIGKILL, power, partition). */
  private readonly ttlMs: number;

  constructor(
    private readonly cdrs: CdrsRepository,
    @Inject(SIP_REDIS) private readonly redis: Redis,
    @Inject(SIP_LOGGER) private readonly logger: Logger,
    @Inject(SIP_METRICS) registry: Registry,
    @Inject(SIP_CONFIG) config: SipConfig,
  ) {
    this.ttlMs = config.SIP_INSTANCE_TTL_SECONDS * 1000;
    this.recovered = new Counter({
      name: 'sip_calls_recovered_total',
      help: "Calls of a crashed SIP app instance whose CDR another instance wrote",
      registers: [registry],
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.beat();
    this.heartbeat = setInterval(() => void this.beat().catch((err) => this.logger.warn({ err }, 'heartbeat not renewed')), this.ttlMs / 3);
    this.heartbeat.unref();
    this.sweeper = setInterval(() => void this.recoverDead().catch((err) => this.logger.warn({ err }, 'crash recovery failed')), this.ttlMs);
    this.sweeper.unref();
    void this.recoverDead().catch((err) => this.logger.warn({ err }, 'crash recovery failed'));
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.heartbeat);
    clearInterval(this.sweeper);
    // A clean stop has drained its calls; whatever is left here was written by a finished call
    // whose CDR insert failed, and is recovered by the next instance that sees the key gone.
    await this.redis.del(RedisKeys.sipInstance(this.instanceId)).catch(() => undefined);
  }

  /** Stores (or replaces) a call's draft CDR. Never throws: the call goes on without it. */
  async record(row: CdrInsert): Promise<void> {
    await this.redis
      .hset(this.key, field(row.tenantId, row.callId), JSON.stringify(row))
      .catch((err: unknown) => this.logger.warn({ err, callId: row.callId }, 'call journal not written'));
  }

  async forget(tenantId: string, callId: string): Promise<void> {
    await this.redis.hdel(this.key, field(tenantId, callId)).catch(() => undefined);
  }

  private async beat(): Promise<void> {
    await this.redis
      .multi()
      .set(RedisKeys.sipInstance(this.instanceId), String(Date.now()), 'PX', this.ttlMs)
      .hset(this.key, ALIVE, String(Date.now()))
      .expire(this.key, JOURNAL_TTL_S)
      .exec();
  }

  /** Finds the journals of dead instances and writes their calls' CDRs. Safe to run on every instance at once. */
  async recoverDead(): Promise<number> {
    let done = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', RedisKeys.sipJournalPattern, 'COUNT', 100);
      cursor = next;
      for (const key of keys) {
        const owner = key.slice(RedisKeys.sipJournal('').length);
        if (owner === this.instanceId || (await this.redis.exists(RedisKeys.sipInstance(owner)))) continue;
        // One recoverer per dead instance; the CDR insert is idempotent on (tenant, Call-ID) anyway.
        const claimed = await this.redis.set(`${RedisKeys.sipInstance(owner)}:recovering`, this.instanceId, 'PX', 60_000, 'NX');
        if (claimed) done += await this.recoverJournal(key, owner);
      }
    } while (cursor !== '0');
    return done;
  }

  private async recoverJournal(key: string, owner: string): Promise<number> {
    const entries = await this.redis.hgetall(key);
    const lastSeen = Number(entries[ALIVE]) || Date.now();
    let n = 0;
    for (const [f, raw] of Object.entries(entries)) {
      if (f === ALIVE) continue;
      const row = this.finalRow(JSON.parse(raw) as Draft, lastSeen);
      try {
        await this.cdrs.insert(row);
      } catch (err) {
        // Another error (the database away) keeps the draft for the next sweep; a tenant or device deleted
        // since leaves nothing to record the call against, and would otherwise fail every sweep for ever.
        if (!isForeignKeyViolation(err)) throw err;
        this.logger.warn({ callId: row.callId, tenantId: row.tenantId }, 'crash recovery: the call\'s tenant or device is gone; its draft CDR is dropped');
      }
      await removeCall(this.redis, row.tenantId, row.callId).catch(() => undefined);
      await this.redis.hdel(key, f);
      this.recovered.inc();
      n++;
    }
    await this.redis.del(key);
    if (n) this.logger.warn({ deadInstance: owner, calls: n }, 'CDRs written for the calls of a crashed SIP app instance');
    return n;
  }

  /** A draft that never ended ends at the dead instance's last heartbeat. */
  private finalRow(d: Draft, lastSeen: number): CdrInsert {
    const startedAt = Date.parse(d.startedAt);
    const answeredAt = d.answeredAt ? Date.parse(d.answeredAt) : null;
    if (d.endedAt) return { ...d, startedAt: new Date(startedAt), answeredAt: answeredAt === null ? null : new Date(answeredAt), endedAt: new Date(d.endedAt) };
    const endedAt = Math.max(lastSeen, answeredAt ?? startedAt);
    return {
      ...d,
      startedAt: new Date(startedAt),
      answeredAt: answeredAt === null ? null : new Date(answeredAt),
      endedAt: new Date(endedAt),
      ...durations({ startedAt, answeredAt, endedAt }),
      disposition: answeredAt === null ? 'failed' : 'answered',
      hangupCause: '500 signalling app stopped mid-call (crash recovery)',
    };
  }
}

const field = (tenantId: string, callId: string): string => `${tenantId}:${callId}`;

function isForeignKeyViolation(err: unknown): boolean {
  const e = err as { code?: unknown; driverError?: { code?: unknown } };
  return (e.driverError?.code ?? e.code) === '23503';
}
