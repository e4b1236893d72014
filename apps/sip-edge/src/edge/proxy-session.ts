import type { SipRequest, SipResponse } from '../sip/message';
import type { ClientTransaction } from '../transaction/client-transaction';
import type { ServerTransaction } from '../transaction/server-transaction';
import type { TimerHandle } from '../transaction/timer-wheel';
import type { SipPeer } from '../transaction/transaction-types';
import type { AppConnection } from '../wire/app-connection';
import type { InviteSent } from './cancel-request';

/** One downstream attempt of a `proxy` command (a client transaction to one destination). */
export interface ProxyBranch {
  uri: string;
  branch: string;
  /** The INVITE as sent, for its CANCEL and the ACK of a non-2xx. */
  sent: InviteSent;
  txn: ClientTransaction;
  provisional: boolean;
  /** Further addresses of the same destination (RFC 3263 §4.3), tried if this one times out or fails. */
  spares: SipPeer[];
  /** Given up before any provisional came back: CANCEL it when one does (§9.1), and forward a late 2xx. */
  cancelOnProvisional?: boolean;
  /** Final status, once one arrived (or 408/503 for a local failure). */
  status: number;
  response?: SipResponse;
  provisionalTimer?: TimerHandle;
}

/** The upstream side of a proxy session: an app's pending request, or one an HTTP handler said to proxy. */
export interface ProxyUpstream {
  req: SipRequest;
  txn: ServerTransaction;
  topVia: string;
  /** Called by the CANCEL handler when the upstream CANCELs. */
  onCancel?: () => void;
}

export interface ProxyOptions {
  destinations: readonly string[];
  remainInDialog: boolean;
  followRedirects: boolean;
  simultaneous: boolean;
  provisionalTimeout: string;
}

/** State of one proxy operation: the upstream server transaction and the downstream branches. */
export interface ProxySession {
  rec: ProxyUpstream;
  opts: ProxyOptions;
  /** The app that sent the `proxy` command, told of final responses (`continue`) and of the end (`done`). */
  app?: { conn: AppConnection; msgId: string; fullResponse: boolean };
  /** Destinations not tried yet (3xx Contacts are inserted here with followRedirects). */
  queue: string[];
  /** Branches still waiting for a final response. */
  active: Set<ProxyBranch>;
  /** Branches that ended with a final failure, candidates for the best response (§16.7 step 6). */
  failed: ProxyBranch[];
  provisionalTimeoutMs: number;
  redirects: number;
  /** Destinations being resolved right now: the session cannot end while one may still start a branch. */
  resolving: number;
  /** To-tags of early dialogs recorded for this request (bounded: a downstream could send endless 18x tags). */
  earlyTags: Set<string>;
  /** The upstream CANCELled, a 6xx arrived or a 2xx was forwarded: no new branch is started. */
  stopped: boolean;
  done: boolean;
}
