/** The part of rtpengine-client (no typings of its own) the SIP app and its benches use: the ng protocol over UDP. */
declare module 'rtpengine-client' {
  import { EventEmitter } from 'node:events';

  export interface NgDestination {
    port: number;
    host: string;
  }
  export type NgReply = { result: 'ok' | 'pong' | 'error' | 'warning'; 'error-reason'?: string; sdp?: string } & Record<string, unknown>;

  export class Client extends EventEmitter {
    constructor(opts?: { timeout?: number; localPort?: number; localAddress?: string; rejectOnError?: boolean });
    ping(dest: NgDestination): Promise<NgReply>;
    offer(dest: NgDestination, opts: Record<string, unknown>): Promise<NgReply>;
    answer(dest: NgDestination, opts: Record<string, unknown>): Promise<NgReply>;
    delete(dest: NgDestination, opts: Record<string, unknown>): Promise<NgReply>;
    query(dest: NgDestination, opts: Record<string, unknown>): Promise<NgReply>;
    list(dest: NgDestination, opts?: Record<string, unknown>): Promise<NgReply>;
    statistics(dest: NgDestination, opts?: Record<string, unknown>): Promise<NgReply>;
    close(): void;
  }
}
