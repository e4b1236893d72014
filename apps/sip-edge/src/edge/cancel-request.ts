import { generateBranch } from '../sip/message';
import type { ClientRequestRecord, EdgeContext } from './edge-context';
import { assemble } from './outgoing-message';

/**
 * Sends a CANCEL for an INVITE the edge sent (RFC 3261 §9.1): same Request-URI, Call-ID, From, To, CSeq
 * number, Route set and top Via (so the same branch) as the INVITE. Its 200 goes nowhere (srf keeps no
 * callback for it, §5). Returns the CANCEL as sent.
 */
export function sendCancel(ctx: EdgeContext, inv: ClientRequestRecord): Buffer {
  inv.cancelled = true;
  const stack: Array<[string, string]> = [['Via', inv.via]];
  for (const r of inv.routes) stack.push(['Route', r]);
  stack.push(['Max-Forwards', '70'], ['From', inv.from], ['To', inv.to], ['Call-ID', inv.callId], ['CSeq', `${inv.cseq} CANCEL`]);
  const buf = assemble(`CANCEL ${inv.uri} SIP/2.0`, stack, [], Buffer.alloc(0));
  const branch = /branch=([^;\s,]+)/.exec(inv.via)?.[1] ?? generateBranch();
  ctx.tl.createClient(branch, 'CANCEL', inv.peer, buf, { onResponse: () => undefined, onFailure: () => undefined });
  return buf;
}
