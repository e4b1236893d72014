import { networkInterfaces } from 'node:os';
import type { Logger } from '@pbx/common';
import type { AckWait } from '../dialog/ack-wait';
import type { Dialog } from '../dialog/dialog';
import { DialogStore } from '../dialog/dialog-store';
import type { SipRequest } from '../sip/message';
import type { ClientTransaction } from '../transaction/client-transaction';
import type { ServerTransaction } from '../transaction/server-transaction';
import type { SipTimerConfig } from '../transaction/sip-timers';
import { TransactionLayer } from '../transaction/transaction-layer';
import type { TimerHandle } from '../transaction/timer-wheel';
import type { SipPeer } from '../transaction/transaction-types';
import type { ListeningInfo, RemoteInfo, SendTarget, TransportProto } from '../transport/transport';
import type { AppConnection } from '../wire/app-connection';
import { AppRouter } from '../wire/app-router';
import { CdrEmitter } from './cdr-emitter';
import type { EdgeMetrics } from './edge-metrics';
import { SessionTimers } from './session-timer';

/** What the edge needs from the transport layer (TransportManager satisfies it). */
export interface TransportPort {
  send(target: SendTarget, msg: Buffer): Promise<void>;
  listening(): ListeningInfo[];
}

/** An incoming request handed to an app and not yet answered with a final response. */
export interface ServerRequestRecord {
  txnId: string;
  txn: ServerTransaction;
  req: SipRequest;
  /** Top Via value with our `rport`/`received` added; copied into every response. */
  topVia: string;
  source: RemoteInfo;
  conn: AppConnection;
  bytes: number;
  toTag: string;
  /** True once the app sent anything above 100 (decides how a CANCEL is answered, [T06] vs [T07]). */
  answered: boolean;
  dialog?: Dialog;
  /** Last RSeq used on this INVITE's reliable provisional responses (RFC 3262). */
  rseq?: number;
  prackWaits?: AckWait[];
  /** The 64 s "app never answered" timer; cancelled with the final answer so it pins nothing. */
  appTimer?: TimerHandle;
  /** Set while the request is being proxied: a CANCEL from upstream must be passed downstream. */
  onCancel?: () => void;
}

/** A request the edge sent for an app, keyed by the txn id the app got back. */
export interface ClientRequestRecord {
  txnId: string;
  conn: AppConnection;
  method: string;
  txn: ClientTransaction;
  uri: string;
  via: string;
  from: string;
  to: string;
  callId: string;
  cseq: number;
  routes: string[];
  peer: SipPeer;
  dialog?: Dialog;
  /** In-dialog requests report the dialog id on every response (including BYE's) [T05]. */
  dialogId: string;
  /** Set once a final response was relayed (later 2xx are retransmissions). */
  final?: boolean;
  /** Set once a CANCEL was sent for it: a timeout then ends it, no other address is tried. */
  cancelled?: boolean;
  /** Set once any response came back: a later timeout (Timer C) is not a reason to try another address. */
  heard?: boolean;
  /**
   * RFC 3263 §4.3: the destination's further addresses, tried in turn when one times out or fails at the
   * transport (as sofia does inside its transaction), and how to rebuild the request for one of them.
   */
  failover?: { spares: SipPeer[]; rebuild(peer: SipPeer): { buf: Buffer; via: string; branch: string } };
}

export interface EdgeContextOptions {
  transport: TransportPort;
  logger: Logger;
  metrics: EdgeMetrics;
  timers: SipTimerConfig;
  maxTransactions: number;
  /** Send cdr:attempt/start/stop frames to apps that routed them (drachtio `<cdrs>true</cdrs>`). */
  cdrs?: boolean;
  /** New requests skip an app with this many unanswered ones; with no app left they get 503. */
  maxPendingPerApp?: number;
  /** Address written into Via/Contact/From instead of the bound one (NAT, wildcard binds). */
  externalIp?: string;
}

export interface LocalAddress {
  proto: TransportProto;
  address: string;
  port: number;
  hostport: string;
}

/** State shared by the edge's handlers; no behaviour beyond lookups and sending. */
export class EdgeContext {
  readonly tl: TransactionLayer;
  readonly dialogs = new DialogStore();
  readonly router = new AppRouter();
  readonly connections = new Map<number, AppConnection>();
  readonly pendingServer = new Map<string, ServerRequestRecord>();
  readonly pendingClient = new Map<string, ClientRequestRecord>();
  /** 2xx responses to INVITE waiting for their ACK, by dialog id. */
  readonly ackWaits = new Map<string, AckWait>();
  /** Reliable provisional responses waiting for their PRACK, by `<dialog id>|<RSeq>`. */
  readonly prackWaits = new Map<string, AckWait>();
  readonly logger: Logger;
  readonly metrics: EdgeMetrics;
  readonly timers: SipTimerConfig;
  readonly cdr: CdrEmitter;
  /** RFC 4028 timers of the apps' dialogs (drachtio arms them itself, §6). */
  readonly sessionTimers = new SessionTimers(this);
  private readonly transport: TransportPort;
  private readonly maxPendingPerApp: number;
  private readonly externalIp?: string;
  private locals?: Map<string, LocalAddress>;
  private selfHostSet?: Set<string>;

  constructor(opts: EdgeContextOptions) {
    this.transport = opts.transport;
    this.logger = opts.logger;
    this.metrics = opts.metrics;
    this.timers = opts.timers;
    this.maxPendingPerApp = opts.maxPendingPerApp ?? 5000;
    this.externalIp = opts.externalIp;
    this.cdr = new CdrEmitter(this, opts.cdrs ?? false);
    this.tl = new TransactionLayer({
      send: (peer, data, onError) => this.send(peer, data, onError),
      timers: opts.timers,
      maxTransactions: opts.maxTransactions,
      onTimerError: (err) => this.logger.error({ err }, 'SIP timer callback failed'),
    });
  }

  send(peer: SipPeer, data: Buffer, onError?: (err: Error) => void): void {
    this.metrics.sipSent.inc();
    this.transport.send(peer, data).catch((err: unknown) => {
      this.metrics.sendErrors.inc();
      const e = err instanceof Error ? err : new Error(String(err));
      this.logger.debug({ err: e, peer }, 'SIP send failed');
      onError?.(e);
    });
  }

  /** Registers a request handed to an app, counted against that app's backlog. */
  addPending(rec: ServerRequestRecord): void {
    this.pendingServer.set(rec.txnId, rec);
    rec.conn.pendingCount++;
    this.trackPending(rec);
  }

  removePending(rec: ServerRequestRecord): void {
    if (this.pendingServer.get(rec.txnId) !== rec) return;
    this.pendingServer.delete(rec.txnId);
    rec.conn.pendingCount--;
    rec.appTimer?.cancel();
    rec.appTimer = undefined;
  }

  /** An app may take a new request unless it is this far behind (requests unanswered, bytes unread). */
  canTake(conn: AppConnection): boolean {
    return conn.pendingCount < this.maxPendingPerApp && !conn.congested;
  }

  /**
   * drachtio drops an unanswered request after 64 s without telling anyone (CLIENT_TIMEOUT, §6); we also
   * end its server transaction so it cannot leak. Only an INVITE the app has answered provisionally stays
   * (it may ring for a long time); an unanswered in-dialog request goes like any other.
   */
  trackPending(rec: ServerRequestRecord): void {
    rec.appTimer = this.tl.wheel.schedule(64 * this.timers.t1, () => {
      if ((rec.answered && rec.req.method === 'INVITE') || this.pendingServer.get(rec.txnId) !== rec) return;
      this.removePending(rec);
      rec.txn.terminate();
    });
  }

  endDialog(dialog: Dialog): void {
    this.dialogs.remove(dialog);
    const wait = this.ackWaits.get(dialog.id);
    if (wait) wait.cancel();
  }

  /** Our address for a transport (Via sent-by, Contact, From defaults). */
  local(proto: string): LocalAddress {
    if (!this.locals) {
      this.locals = new Map();
      for (const l of this.transport.listening()) {
        const address = this.advertised(l.address);
        const hostport = `${address.indexOf(':') >= 0 ? `[${address}]` : address}:${l.port}`;
        if (!this.locals.has(l.proto)) this.locals.set(l.proto, { proto: l.proto, address, port: l.port, hostport });
      }
    }
    const found = this.locals.get(proto) ?? this.locals.get('udp') ?? this.locals.values().next().value;
    if (!found) throw new Error('no SIP transport is listening');
    return found;
  }

  /**
   * `proto/host:port` lists for the authenticate reply [T01]: the first with the external address where
   * one is configured (drachtio's external-ip), the second with the bound address.
   */
  hostports(): { external: string; local: string } {
    const listening = this.transport.listening();
    return {
      external: listening.map((l) => `${l.proto}/${this.advertised(l.address)}:${l.port}`).join(','),
      local: listening.map((l) => `${l.proto}/${l.address}:${l.port}`).join(','),
    };
  }

  /**
   * True if host:port names one of our own listeners: its bound address, the advertised (external)
   * address, or, for a wildcard bind, an address of one of this host's interfaces. Any other host is not
   * us, whatever its port: matching on the port alone made every `host:5060` "self" and let a Route to a
   * third party through the stateless forwarder.
   */
  isSelf(host: string, port: number): boolean {
    const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1).toLowerCase() : host.toLowerCase();
    const hosts = this.selfHosts();
    return this.transport.listening().some((l) => l.port === port && hosts.has(h));
  }

  private selfHosts(): Set<string> {
    if (this.selfHostSet) return this.selfHostSet;
    const set = new Set<string>();
    for (const l of this.transport.listening()) {
      set.add(this.advertised(l.address).toLowerCase());
      if (l.address !== '0.0.0.0' && l.address !== '::') {
        set.add(l.address.toLowerCase());
        continue;
      }
      for (const list of Object.values(networkInterfaces())) {
        for (const ni of list ?? []) if (l.address === '::' || ni.family === 'IPv4') set.add(ni.address.toLowerCase());
      }
    }
    if (this.externalIp) set.add(this.externalIp.toLowerCase());
    this.selfHostSet = set;
    return set;
  }

  /** The address peers must use to reach a listener: the external IP, else a wildcard bind's first interface. */
  private advertised(bound: string): string {
    if (this.externalIp) return this.externalIp;
    if (bound !== '0.0.0.0' && bound !== '::') return bound;
    for (const list of Object.values(networkInterfaces())) {
      for (const ni of list ?? []) if (ni.family === 'IPv4' && !ni.internal) return ni.address;
    }
    return '127.0.0.1';
  }
}
