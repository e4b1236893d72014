import { wireTime } from '../wire/wire-format';
import type { EdgeContext } from './edge-context';

export type CdrType = 'attempt' | 'start' | 'stop';
export type CdrRole = 'uac' | 'uas';
export type CdrStopReason = 'call-rejected' | 'call-canceled' | 'normal-release' | 'session-expired';

/**
 * drachtio's CDR frames (§4.2) [T12]: `cdr:attempt|<source>|<time>`, `cdr:start|…|<role>`,
 * `cdr:stop|…|<reason>`, each followed by the SIP message. Sent only when enabled, to one of the
 * connections that routed `cdr:<type>` (round robin, like requests).
 */
export class CdrEmitter {
  constructor(
    private readonly ctx: EdgeContext,
    private readonly enabled: boolean,
  ) {}

  attempt(source: 'network' | 'application', sip: string): void {
    this.emit('attempt', `${source}|${wireTime()}`, sip);
  }

  start(source: 'network' | 'application', role: CdrRole, sip: string): void {
    this.emit('start', `${source}|${wireTime()}|${role}`, sip);
  }

  stop(source: 'network' | 'application', reason: CdrStopReason, sip: string): void {
    this.emit('stop', `${source}|${wireTime()}|${reason}`, sip);
  }

  private emit(type: CdrType, fields: string, sip: string): void {
    if (!this.enabled) return;
    const conn = this.ctx.router.select(`cdr:${type}`);
    if (conn?.isOpen) conn.sendRaw(`cdr:${type}|${fields}\r\n${sip}`);
  }
}
