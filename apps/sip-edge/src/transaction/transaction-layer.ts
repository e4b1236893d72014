import { ClientTransaction, ClientTransactionUser } from './client-transaction';
import { ServerTransaction, type ServerTransactionDeps } from './server-transaction';
import { DEFAULT_TIMERS, SipTimerConfig, timerJ } from './sip-timers';
import { TimerWheel, type TimerHandle } from './timer-wheel';
import type { SendFn, SipPeer } from './transaction-types';

export interface TransactionLayerOptions {
  send: SendFn;
  timers?: SipTimerConfig;
  /** Upper bound on live server + client transactions; new requests beyond it are refused with 503. */
  maxTransactions?: number;
  /** A timer callback threw (logged by the caller; the wheel keeps running). */
  onTimerError?: (err: unknown) => void;
}

/** Identifies an incoming request for matching (§17.2.3) and merged-request detection (§8.2.2.2). */
export interface RequestKeyParts {
  method: string;
  branch: string;
  sentBy: string;
  callId: string;
  fromTag: string;
  toTag: string;
  cseq: number;
}

export type ServerMatch =
  | { kind: 'new' }
  | { kind: 'retransmission'; txn: ServerTransaction }
  | { kind: 'ack'; txn: ServerTransaction }
  | { kind: 'cancel'; invite?: ServerTransaction }
  | { kind: 'merged' }
  | { kind: 'overloaded' };

/** RFC 3261 magic cookie: only such branches are usable as transaction ids (§17.2.3). */
const MAGIC = 'z9hG4bK';

export class TransactionLayer {
  readonly wheel = new TimerWheel(10, 1024, (err) => this.opts.onTimerError?.(err));
  private readonly server = new Map<string, ServerTransaction>();
  private readonly client = new Map<string, ClientTransaction>();
  /** Call-ID|From-tag|CSeq of requests without To-tag, for merged-request detection. */
  private readonly merged = new Map<string, string>();
  private readonly timers: SipTimerConfig;
  private readonly max: number;

  /** One deps object shared by every server transaction: at thousands per second, per-txn closures add up. */
  private readonly serverDeps: ServerTransactionDeps;
  /**
   * Completed non-INVITE transactions over UDP waiting out Timer J, oldest first. Timer J is the same for
   * all of them, so this queue is also their expiry order: one wheel timer for the head replaces a timer
   * (and a closure) per transaction.
   */
  private lingering: Array<ServerTransaction | undefined> = [];
  private lingerUntil: number[] = [];
  private lingerHead = 0;
  private lingerTimer?: TimerHandle;
  /** Keys built by the last matchRequest that found no transaction, for the createServer that usually follows. */
  private matchedParts?: RequestKeyParts;
  private matchedKey = '';
  private matchedMergedKey?: string;

  constructor(private readonly opts: TransactionLayerOptions) {
    this.timers = opts.timers ?? DEFAULT_TIMERS;
    this.max = opts.maxTransactions ?? 500_000;
    this.serverDeps = {
      wheel: this.wheel,
      send: opts.send,
      timers: this.timers,
      onTerminated: (t) => {
        if (this.server.get(t.key) === t) this.server.delete(t.key);
        this.forgetMerged(t);
      },
      // Merged-request detection only matters while the request is being processed.
      onCompleted: (t) => this.forgetMerged(t),
      linger: (t) => this.linger(t),
    };
  }

  get serverCount(): number {
    return this.server.size;
  }

  get clientCount(): number {
    return this.client.size;
  }

  static serverKey(p: Pick<RequestKeyParts, 'branch' | 'sentBy' | 'method' | 'callId' | 'fromTag' | 'cseq'>): string {
    const method = p.method === 'ACK' ? 'INVITE' : p.method;
    if (p.branch.startsWith(MAGIC)) return `${p.branch}|${p.sentBy}|${method}`;
    // RFC 2543 peers: fall back to dialog identifiers plus CSeq number.
    return `${p.callId}|${p.fromTag}|${p.cseq}|${method}`;
  }

  /** Classifies an incoming request before the TU sees it. */
  matchRequest(p: RequestKeyParts): ServerMatch {
    if (p.method === 'ACK') {
      const txn = this.server.get(TransactionLayer.serverKey(p));
      return txn ? { kind: 'ack', txn } : { kind: 'new' };
    }
    if (p.method === 'CANCEL') {
      const existing = this.server.get(TransactionLayer.serverKey(p));
      if (existing) return { kind: 'retransmission', txn: existing };
      return { kind: 'cancel', invite: this.server.get(TransactionLayer.serverKey({ ...p, method: 'INVITE' })) };
    }
    const key = TransactionLayer.serverKey(p);
    const txn = this.server.get(key);
    if (txn) return { kind: 'retransmission', txn };
    this.matchedParts = p;
    this.matchedKey = key;
    this.matchedMergedKey = undefined;
    if (!p.toTag) {
      const mergedKey = TransactionLayer.mergedKey(p);
      this.matchedMergedKey = mergedKey;
      const owner = this.merged.get(mergedKey);
      if (owner !== undefined && owner !== key && this.server.has(owner)) return { kind: 'merged' };
    }
    if (this.server.size + this.client.size >= this.max) return { kind: 'overloaded' };
    return { kind: 'new' };
  }

  createServer(p: RequestKeyParts, peer: SipPeer, onAckTimeout?: (t: ServerTransaction) => void): ServerTransaction {
    // The keys matchRequest just built for these very parts are reused rather than built again.
    const matched = this.matchedParts === p;
    this.matchedParts = undefined;
    const key = matched ? this.matchedKey : TransactionLayer.serverKey(p);
    const txn = new ServerTransaction(key, p.method, peer, this.serverDeps, onAckTimeout);
    this.server.set(key, txn);
    if (!p.toTag) {
      txn.mergedKey = (matched && this.matchedMergedKey) || TransactionLayer.mergedKey(p);
      this.merged.set(txn.mergedKey, key);
    }
    return txn;
  }

  private static mergedKey(p: RequestKeyParts): string {
    return `${p.callId}|${p.fromTag}|${p.cseq}|${p.method}`;
  }

  /** Number of completed transactions waiting out Timer J (they are counted in serverCount too). */
  get lingeringCount(): number {
    return this.lingering.length - this.lingerHead;
  }

  private linger(t: ServerTransaction): void {
    const ms = timerJ(this.timers, false);
    this.lingering.push(t);
    this.lingerUntil.push(Date.now() + ms);
    this.lingerTimer ??= this.wheel.schedule(ms, () => this.expireLingering());
  }

  private expireLingering(): void {
    this.lingerTimer = undefined;
    const now = Date.now();
    const queue = this.lingering;
    const until = this.lingerUntil;
    let head = this.lingerHead;
    while (head < queue.length && until[head] <= now) {
      const t = queue[head];
      queue[head] = undefined;
      head++;
      t?.terminate();
    }
    if (head === queue.length) {
      this.lingering = [];
      this.lingerUntil = [];
      head = 0;
    } else if (head >= 1024 && head * 2 >= queue.length) {
      // Drop the expired prefix now and then: amortised O(1) per transaction, and the arrays stay small.
      queue.splice(0, head);
      until.splice(0, head);
      head = 0;
    }
    this.lingerHead = head;
    if (head < this.lingering.length)
      this.lingerTimer = this.wheel.schedule(this.lingerUntil[head] - now, () => this.expireLingering());
  }

  private forgetMerged(t: ServerTransaction): void {
    if (t.mergedKey && this.merged.get(t.mergedKey) === t.key) this.merged.delete(t.mergedKey);
    t.mergedKey = undefined;
  }

  /** Starts a client transaction; `branch` and `method` key the responses (§17.1.3). */
  createClient(
    branch: string,
    method: string,
    peer: SipPeer,
    request: Buffer,
    tu: ClientTransactionUser,
    buildAck?: (response: unknown) => Buffer,
  ): ClientTransaction {
    const key = `${branch}|${method}`;
    const txn = new ClientTransaction(
      key,
      method,
      peer,
      request,
      tu,
      {
        wheel: this.wheel,
        send: this.opts.send,
        timers: this.timers,
        onTerminated: (t) => {
          if (this.client.get(t.key) === t) this.client.delete(t.key);
        },
      },
      buildAck,
    );
    this.client.set(key, txn);
    txn.start();
    return txn;
  }

  findClient(branch: string, cseqMethod: string): ClientTransaction | undefined {
    return this.client.get(`${branch}|${cseqMethod}`);
  }

  close(): void {
    this.wheel.stop();
    this.lingerTimer?.cancel();
    this.lingerTimer = undefined;
    this.lingering = [];
    this.lingerUntil = [];
    this.lingerHead = 0;
    this.server.clear();
    this.client.clear();
    this.merged.clear();
  }
}
