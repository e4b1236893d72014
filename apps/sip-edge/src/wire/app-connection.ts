import type { Socket } from 'node:net';
import type { Logger } from '@pbx/common';
import { FrameDecoder, FrameError, encodeFrame } from './frame-decoder';
import { CRLF, EDGE_VERSION, newId, sipFramePayload, WireMeta } from './wire-format';

/** A `sip` command from an app: `<id>|sip|<txn>|<dialog>[|<next hop>]` CRLF <SIP message>. */
export interface AppSipCommand {
  msgId: string;
  txnId: string;
  dialogId: string;
  nextHop: string;
  sip: string;
}

/** A `proxy` command (§3.5); `fields` are the frame fields after the message type. */
export interface AppProxyCommand {
  msgId: string;
  txnId: string;
  remainInDialog: boolean;
  fullResponse: boolean;
  followRedirects: boolean;
  simultaneous: boolean;
  /** drachtio syntax `<n>ms` / `<n>s`, empty for none (srf's provisionalTimeout). */
  provisionalTimeout: string;
  /** Sent by srf; drachtio-server parses it but never arms a timer for it, and neither does the edge. */
  finalTimeout: string;
  destinations: string[];
  sip: string;
}

export interface AppConnectionHandler {
  hostports(): { external: string; local: string };
  authenticate(secret: string): boolean;
  opened(conn: AppConnection): void;
  route(conn: AppConnection, verb: string): void;
  removeRoutes(conn: AppConnection): void;
  sip(conn: AppConnection, cmd: AppSipCommand): void;
  proxy(conn: AppConnection, cmd: AppProxyCommand): void;
  closed(conn: AppConnection): void;
}

let nextConnectionId = 1;

/** An admin connection must authenticate within this time, or it is dropped. */
const AUTH_DEADLINE_MS = 10_000;
/** Replies queued for an app that does not read: past this, the connection is dropped. */
const MAX_WRITE_BACKLOG_BYTES = 64 * 1024 * 1024;
/** After `end()`, how long a peer gets to close its side before the socket is destroyed. */
const CLOSE_GRACE_MS = 1_000;

/** One app's admin connection: framing, command dispatch, replies. SIP semantics live in the handler. */
export class AppConnection {
  readonly id = nextConnectionId++;
  private readonly decoder = new FrameDecoder();
  private open = true;
  /**
   * Frames queued for up to 1 ms and written together: on loopback each write costs a syscall and a
   * wake-up of the app, and under load this saves ~10% CPU in the edge and the apps for ≤ 1 ms latency.
   */
  private queued: string[] = [];
  private flushScheduled = false;
  /** Outbound mode: called once the app has authenticated on a connection the edge opened (§8). */
  onAuthenticated?: () => void;
  /** Tags the app sent with `authenticate` (`authenticate|secret|tag1,tag2`), used by HTTP routing's `route` by tag. */
  tags: readonly string[] = [];
  /** Requests relayed to this app and not finally answered yet (maintained by the edge). */
  pendingCount = 0;
  /**
   * Safer than drachtio-server, which answers `route` and `sip` before `authenticate` (§3.1): here
   * nothing but `authenticate` is accepted until the shared secret has been presented.
   */
  private authenticated = false;
  private readonly authTimer: NodeJS.Timeout;

  constructor(
    private readonly socket: Socket,
    private readonly handler: AppConnectionHandler,
    private readonly logger: Logger,
  ) {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 45_000);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.logger.debug({ err, conn: this.id }, 'app connection error'));
    socket.on('close', () => {
      this.open = false;
      clearTimeout(this.authTimer);
      this.handler.closed(this);
    });
    this.authTimer = setTimeout(() => {
      if (this.authenticated) return;
      this.logger.warn({ conn: this.id, remote: this.remote }, 'admin connection did not authenticate in time: closing');
      socket.destroy();
    }, AUTH_DEADLINE_MS);
    this.authTimer.unref();
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** The app is not reading fast enough: more than 8 MiB wait in our socket buffer. */
  get congested(): boolean {
    return this.socket.writableLength > 8 * 1024 * 1024;
  }

  get remote(): string {
    return `${this.socket.remoteAddress ?? ''}:${this.socket.remotePort ?? 0}`;
  }

  reply(msgId: string, status: 'OK' | 'NO' | 'NOK', data?: string, sip?: string): void {
    let payload = `${newId()}|response|${msgId}|${status}`;
    if (data !== undefined) payload += `|${data}`;
    if (sip !== undefined) payload += `${CRLF}${sip}`;
    this.write(payload);
  }

  /**
   * The reply to an app's request goes out at once: srf hands the app its request object when this reply
   * arrives, and a response batched into the same read would be emitted before a promise-style
   * `srf.request(...).then(req => req.on('response', …))` had a chance to listen.
   */
  replySent(msgId: string, data: string, sip: string): void {
    this.reply(msgId, 'OK', data, sip);
    this.flush();
  }

  sendSip(meta: WireMeta, sip: string): void {
    this.write(`${newId()}|${sipFramePayload(meta, sip)}`);
  }

  sendRaw(payloadWithoutId: string): void {
    this.write(`${newId()}|${payloadWithoutId}`);
  }

  close(): void {
    if (this.queued.length) this.flush();
    this.open = false;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  private write(payload: string): void {
    if (!this.open) return;
    this.queued.push(encodeFrame(payload));
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setTimeout(() => this.flush(), 1);
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.queued.length === 0) return;
    const data = this.queued.length === 1 ? this.queued[0] : this.queued.join('');
    this.queued = [];
    if (!this.open || this.socket.destroyed) return;
    this.socket.write(data);
    if (this.socket.writableLength > MAX_WRITE_BACKLOG_BYTES) {
      this.logger.warn({ conn: this.id, backlog: this.socket.writableLength }, 'app is not reading its admin connection: closing');
      this.socket.destroy();
    }
  }

  private onData(chunk: Buffer): void {
    let frames: string[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      this.logger.warn({ conn: this.id, reason: err.message }, 'bad admin frame: closing connection');
      this.socket.destroy();
      return;
    }
    // Stop reading commands while the app is not reading our replies (a peer that only writes).
    if (this.congested && !this.socket.isPaused()) {
      this.socket.pause();
      this.socket.once('drain', () => this.socket.resume());
    }
    for (const frame of frames) {
      if (!this.open) return;
      try {
        this.dispatch(frame);
      } catch (err) {
        this.logger.error({ err, conn: this.id }, 'admin command failed');
      }
    }
  }

  /** A parser error (`NO`) closes the connection, as drachtio-server does (§2). */
  private refuse(msgId: string, reason: string): void {
    this.reply(msgId, 'NO', reason);
    this.close();
  }

  private dispatch(frame: string): void {
    const eol = frame.indexOf(CRLF);
    const leader = eol < 0 ? frame : frame.slice(0, eol);
    const body = eol < 0 ? '' : frame.slice(eol + 2);
    const f = leader.split('|');
    const msgId = f[0];
    if (!this.authenticated && f[1] !== 'authenticate') return this.refuse(msgId, 'not authenticated');
    switch (f[1]) {
      case 'authenticate':
        return this.onAuthenticate(msgId, f[2] ?? '', f[3] ?? '');
      case 'route':
        if (f[2]) this.handler.route(this, f[2]);
        return this.reply(msgId, 'OK');
      case 'remove_route':
        this.handler.removeRoutes(this);
        return this.reply(msgId, 'OK');
      case 'ping':
        return this.reply(msgId, 'OK', 'pong');
      case 'sip':
        return this.onSip(msgId, f, body);
      case 'proxy':
        return this.onProxy(msgId, f, body);
      default:
        return this.refuse(msgId, 'Unknown message type');
    }
  }

  private onAuthenticate(msgId: string, secret: string, tags: string): void {
    if (!this.handler.authenticate(secret)) return this.refuse(msgId, 'incorrect secret');
    this.authenticated = true;
    this.tags = tags.split(',').map((t) => t.trim()).filter(Boolean).slice(0, 32);
    clearTimeout(this.authTimer);
    const { external, local } = this.handler.hostports();
    this.reply(msgId, 'OK', `${external}|${EDGE_VERSION}|${local}`);
    this.onAuthenticated?.();
  }

  private onSip(msgId: string, f: string[], sip: string): void {
    const txnId = f[2] ?? '';
    const dialogId = f[3] ?? '';
    if (sip.startsWith('SIP/2.0 ') && !txnId) return this.refuse(msgId, 'transaction id missing');
    this.handler.sip(this, { msgId, txnId, dialogId, nextHop: f[4] ?? '', sip });
  }

  private onProxy(msgId: string, f: string[], sip: string): void {
    if (f.length < 4) return this.refuse(msgId, 'Invalid proxy request: too few fields');
    this.handler.proxy(this, {
      msgId,
      txnId: f[2],
      remainInDialog: f[3] === 'remainInDialog',
      fullResponse: f[4] === 'fullResponse',
      followRedirects: f[5] === 'followRedirects',
      simultaneous: f[6] === 'simultaneous',
      provisionalTimeout: f[7] ?? '',
      finalTimeout: f[8] ?? '',
      destinations: f.slice(9).filter(Boolean),
      sip,
    });
  }
}
