import { createHash } from 'node:crypto';

/** How long an entry may sit unused before it is forgotten. */
export interface ProxiedDialogLimits {
  /** An early dialog (1xx with a To-tag) that never got a 2xx: a ringing call that went nowhere. */
  earlyIdleMs: number;
  /** A confirmed dialog with no in-dialog traffic through us (a call with no session timer). */
  confirmedIdleMs: number;
  /** After a BYE went through: long enough for its retransmissions and the 200's. */
  lingerMs: number;
  /** Past this many entries the least recently used ones are evicted first. */
  maxEntries: number;
}

export const DEFAULT_PROXIED_DIALOG_LIMITS: ProxiedDialogLimits = {
  earlyIdleMs: 3 * 60_000,
  confirmedIdleMs: 24 * 3600_000,
  lingerMs: 32_000,
  maxEntries: 500_000,
};

type State = 'early' | 'confirmed' | 'ending';

/** Where requests to one party of the dialog go next, as `host:port`. */
export interface PartyTarget {
  hostPort: string;
  /** A proxy Record-Routed beyond us on that side: the next hop is its Route, not the party's Contact. */
  viaRoute: boolean;
}

interface Entry {
  state: State;
  lastSeen: number;
  /** By the tag of the party requests are sent to. */
  targets: Map<string, PartyTarget>;
}

/**
 * Dialogs the edge Record-Routed on behalf of an app's `proxyRequest(..., {recordRoute: true})`. An
 * in-dialog request that carries our Route is forwarded only if its Call-ID and tags name one of these
 * and it is headed where the dialog leads for the party it is addressed to (the next Route on that side,
 * or that party's Contact, kept current through target refreshes): without that check any peer, or a
 * party to the dialog, could put `Route: <sip:edge;lr>, <sip:victim>` on a request and use the edge as an
 * open relay (and as a DNS resolver for names of its choosing).
 *
 * Keyed by Call-ID and the two tags in either order, since requests flow both ways. Entries are dropped
 * after a BYE (with a linger for retransmissions), on a failed final response, after an idle time, and by
 * least-recent use when the table is full; a Map keeps insertion order, and `touch` re-inserts.
 */
export class ProxiedDialogs {
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly limits: ProxiedDialogLimits = DEFAULT_PROXIED_DIALOG_LIMITS,
    private readonly now: () => number = Date.now,
    sweepEveryMs = 15_000,
  ) {
    this.sweeper = setInterval(() => this.sweep(), sweepEveryMs);
    this.sweeper.unref();
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * A 1xx with a To-tag (early) or a 2xx (confirmed) came back through us for a Record-Routed request.
   * `targets` says, by the tag of each party, where requests to it go next.
   */
  established(callId: string, tagA: string, tagB: string, confirmed: boolean, targets: ReadonlyMap<string, PartyTarget>): void {
    if (!callId || !tagA || !tagB) return;
    const k = key(callId, tagA, tagB);
    const prev = this.entries.get(k);
    const state: State = prev?.state === 'ending' ? 'ending' : confirmed || prev?.state === 'confirmed' ? 'confirmed' : 'early';
    this.entries.delete(k);
    this.entries.set(k, { state, lastSeen: this.now(), targets: new Map(targets) });
    while (this.entries.size > this.limits.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /** A final non-2xx for the dialog-creating request: the early dialog is over. */
  failed(callId: string, tagA: string, tagB: string): void {
    const k = key(callId, tagA, tagB);
    if (this.entries.get(k)?.state === 'early') this.entries.delete(k);
  }

  /**
   * True, and the entry refreshed, if a request from `fromTag` to `toTag` belongs to a dialog we route and
   * its next hop is `hostPort`, where that dialog leads to the addressed party.
   */
  touch(callId: string, fromTag: string, toTag: string, hostPort: string): boolean {
    if (!callId || !fromTag || !toTag) return false;
    const k = key(callId, fromTag, toTag);
    const e = this.entries.get(k);
    if (!e || e.targets.get(toTag)?.hostPort !== hostPort.toLowerCase()) return false;
    if (e.state !== 'ending') {
      e.lastSeen = this.now();
      this.entries.delete(k);
      this.entries.set(k, e);
    }
    return true;
  }

  /** A target refresh (§12.2.1.2): requests to `partyTag` go to its new Contact, unless a proxy beyond us routes them. */
  refreshTarget(callId: string, partyTag: string, otherTag: string, hostPort: string): void {
    const e = this.entries.get(key(callId, partyTag, otherTag));
    const t = e?.targets.get(partyTag);
    if (t && !t.viaRoute && hostPort) t.hostPort = hostPort.toLowerCase();
  }

  /** A BYE went through: keep forwarding its retransmissions for a while, then forget the dialog. */
  ending(callId: string, tagA: string, tagB: string): void {
    const e = this.entries.get(key(callId, tagA, tagB));
    if (!e || e.state === 'ending') return;
    e.state = 'ending';
    e.lastSeen = this.now();
  }

  sweep(): void {
    const now = this.now();
    for (const [k, e] of this.entries) {
      const limit = e.state === 'early' ? this.limits.earlyIdleMs : e.state === 'ending' ? this.limits.lingerMs : this.limits.confirmedIdleMs;
      if (now - e.lastSeen >= limit) this.entries.delete(k);
    }
  }

  close(): void {
    clearInterval(this.sweeper);
    this.entries.clear();
  }
}

/** A fixed-size key (the identifiers come from peers and may be kilobytes long). */
function key(callId: string, tagA: string, tagB: string): string {
  const text = tagA < tagB ? `${callId}\u0000${tagA}\u0000${tagB}` : `${callId}\u0000${tagB}\u0000${tagA}`;
  return createHash('sha256').update(text).digest('base64url');
}
