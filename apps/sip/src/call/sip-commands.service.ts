import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createBlockingRedis, parseSipCommand, RedisChannels, type SipCommand } from '@pbx/common';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { SIP_CONFIG, type SipConfig } from '../config/sip-config';
import { SIP_LOGGER, SIP_METRICS } from '../sip.tokens';
import { CallRegistry } from './call-registry';

/**
 * Commands on `sipCommands` from the API (an admin's hangup) and the fraud worker (end a device's
 * calls). Every instance hears every command; the one carrying the call acts, the others find nothing.
 */
@Injectable()
export class SipCommandsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscriber?: Redis;
  private readonly handled: Counter<'op' | 'outcome'>;

  constructor(
    private readonly registry: CallRegistry,
    @Inject(SIP_CONFIG) private readonly config: SipConfig,
    @Inject(SIP_LOGGER) private readonly logger: Logger,
    @Inject(SIP_METRICS) metrics: Registry,
  ) {
    this.handled = new Counter({
      name: 'sip_commands_total',
      help: 'sipCommands messages by operation and outcome (ended: calls of this instance were ended; none: not here; invalid)',
      labelNames: ['op', 'outcome'],
      registers: [metrics],
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const sub = createBlockingRedis(this.config.REDIS_URL, 'pbx-sip-commands');
    this.subscriber = sub;
    sub.on('error', (err: unknown) => this.logger.warn({ err }, 'sip commands subscriber error'));
    sub.on('message', (_channel: string, raw: string) => this.onMessage(raw));
    await sub.subscribe(RedisChannels.sipCommands);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }

  onMessage(raw: string): void {
    const cmd = parseSipCommand(raw);
    if (!cmd) {
      this.handled.inc({ op: 'unknown', outcome: 'invalid' });
      this.logger.warn({ bytes: raw.length }, 'sip command ignored: not a valid command');
      return;
    }
    const calls = this.callsOf(cmd);
    const reason = cmd.reason ?? (cmd.op === 'hangup' ? 'ended by an administrator' : 'ended by fraud protection');
    for (const call of calls) call.end(reason);
    this.handled.inc({ op: cmd.op, outcome: calls.length ? 'ended' : 'none' });
    if (calls.length)
      this.logger.info({ op: cmd.op, tenantId: cmd.tenantId, requestedBy: cmd.requestedBy, calls: calls.map((c) => c.callId) }, 'calls ended on command');
  }

  private callsOf(cmd: SipCommand) {
    if (cmd.op === 'hangup') {
      const c = this.registry.find(cmd.tenantId, cmd.callId);
      return c ? [c] : [];
    }
    return this.registry.ofDevice(cmd.tenantId, cmd.deviceId);
  }
}
