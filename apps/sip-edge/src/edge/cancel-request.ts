import { generateBranch } from '../sip/message';
import type { SipPeer } from '../transaction/transaction-types';
import type { ClientRequestRecord, EdgeContext } from './edge-context';
import { assemble } from './outgoing-message';

/** What a CANCEL, or the ACK for a non-2xx final response, copies from the INVITE it follows. */
export interface InviteSent {
  uri: string;
  /** The INVITE's top Via (ours), so the same branch. */
  via: string;
  routes: readonly string[];
  from: string;
  to: string;
  callId: string;
  cseq: number;
  peer: SipPeer;
}

/**
 * Sends a CANCEL for an INVITE the edge sent (RFC 3261 §9.1): same Request-URI, Call-ID, From, To, CSeq
 * number, Route set and top Via (so the same branch) as the INVITE. Its 200 goes nowhere (srf keeps no
 * callback for it, §5). Returns the CANCEL as sent.
 */
export function cancelInvite(ctx: EdgeContext, inv: InviteSent): Buffer {
  const stack: Array<[string, string]> = [['Via', inv.via]];
  for (const r of inv.routes) stack.push(['Route', r]);
  stack.push(['Max-Forwards', '70'], ['From', inv.from], ['To', inv.to], ['Call-ID', inv.callId], ['CSeq', `${inv.cseq} CANCEL`]);
  const buf = assemble(`CANCEL ${inv.uri} SIP/2.0`, stack, [], Buffer.alloc(0));
  const branch = /branch=([^;\s,]+)/.exec(inv.via)?.[1] ?? generateBranch();
  ctx.tl.createClient(branch, 'CANCEL', inv.peer, buf, { onResponse: () => undefined, onFailure: () => undefined });
  return buf;
}

/** An app's CANCEL of its own INVITE: also marks the request so that no other address is tried for it. */
export function sendCancel(ctx: EdgeContext, inv: ClientRequestRecord): Buffer {
  inv.cancelled = true;
  return cancelInvite(ctx, inv);
}

/** ACK for a non-2xx final response to an INVITE: same branch, To from the response (§17.1.1.3). */
export function non2xxAck(inv: InviteSent, responseTo: string | undefined): Buffer {
  const stack: Array<[string, string]> = [['Via', inv.via]];
  for (const r of inv.routes) stack.push(['Route', r]);
  stack.push(['Max-Forwards', '70'], ['From', inv.from], ['To', responseTo ?? inv.to], ['Call-ID', inv.callId], ['CSeq', `${inv.cseq} ACK`]);
  return assemble(`ACK ${inv.uri} SIP/2.0`, stack, [], Buffer.alloc(0));
}
