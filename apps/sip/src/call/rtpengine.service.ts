import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Client, type NgDestination, type NgReply } from 'rtpengine-client';
import { SIP_CONFIG, type SipConfig } from '../config/sip-config';

/** rtpengine did not answer, or refused the command: the call cannot have its media anchored. */
export class MediaRelayError extends Error {
  constructor(
    message: string,
    readonly unreachable: boolean,
  ) {
    super(message);
  }
}

/**
 * The app's one ng-protocol client to rtpengine (one UDP socket for every call). Each command fails
 * after RTPENGINE_TIMEOUT_MS; an error reply rejects with the reason rtpengine gave.
 */
@Injectable()
export class RtpengineService implements OnApplicationShutdown {
  private readonly client: Client;
  private readonly dest: NgDestination;

  constructor(@Inject(SIP_CONFIG) config: SipConfig) {
    this.client = new Client({ timeout: config.RTPENGINE_TIMEOUT_MS });
    // Errors of the socket itself surface as command timeouts; without a listener they would crash the app.
    this.client.on('error', () => undefined);
    this.dest = { host: config.RTPENGINE_NG_HOST, port: config.RTPENGINE_NG_PORT };
  }

  get address(): string {
    return `${this.dest.host}:${this.dest.port}`;
  }

  async ping(): Promise<void> {
    const r = await this.run('ping', () => this.client.ping(this.dest));
    if (r.result !== 'pong') throw new MediaRelayError(`rtpengine answered ping with ${r.result}`, false);
  }

  offer(opts: Record<string, unknown>): Promise<NgReply> {
    return this.run('offer', () => this.client.offer(this.dest, opts));
  }

  answer(opts: Record<string, unknown>): Promise<NgReply> {
    return this.run('answer', () => this.client.answer(this.dest, opts));
  }

  delete(opts: Record<string, unknown>): Promise<NgReply> {
    return this.run('delete', () => this.client.delete(this.dest, opts));
  }

  query(opts: Record<string, unknown>): Promise<NgReply> {
    return this.run('query', () => this.client.query(this.dest, opts));
  }

  onApplicationShutdown(): void {
    this.client.close();
  }

  private async run(command: string, send: () => Promise<NgReply>): Promise<NgReply> {
    let reply: NgReply;
    try {
      reply = await send();
    } catch (err) {
      throw new MediaRelayError(`rtpengine at ${this.address} did not answer ${command}: ${(err as Error).message}`, true);
    }
    if (reply.result === 'error') throw new MediaRelayError(`rtpengine refused ${command}: ${reply['error-reason'] ?? 'no reason'}`, false);
    return reply;
  }
}
