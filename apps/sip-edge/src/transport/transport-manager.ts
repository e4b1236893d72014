import { EventEmitter } from 'node:events';
import type { SipMessage } from '../sip/message';
import type { ListeningInfo, SendTarget, TransportOptions, TransportStats } from './transport';

export class TransportManager extends EventEmitter {
  static async start(opts: TransportOptions): Promise<TransportManager> {
    return new TransportManager(opts);
  }

  private constructor(private readonly opts: TransportOptions) {
    super();
  }

  async send(_target: SendTarget, _msg: SipMessage | Buffer): Promise<void> {
    throw new Error(`not implemented (${this.opts.contacts.length})`);
  }

  listening(): ListeningInfo[] {
    return [];
  }

  async close(): Promise<void> {}

  stats(): TransportStats {
    throw new Error('not implemented');
  }
}
