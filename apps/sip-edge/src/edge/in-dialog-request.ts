import type { Dialog } from '../dialog/dialog';
import { generateBranch } from '../sip/message';
import type { AppHeader } from './app-message';
import type { LocalAddress } from './edge-context';
import { assemble } from './outgoing-message';

export interface InDialogRequest {
  buf: Buffer;
  uri: string;
  via: string;
  branch: string;
  from: string;
  to: string;
  cseq: number;
  routes: string[];
}

export interface InDialogOptions {
  cseq: number;
  headers?: readonly AppHeader[];
  body?: Buffer;
  contentType?: string;
  contact?: string;
  maxForwards?: string;
}

/**
 * Finishes a request inside a dialog the way drachtio/sofia does (§6): Request-URI = remote target,
 * From/To/tags from the dialog, our Via, the route set as Route, whatever the app wrote for those.
 * Loose routing only (RFC 3261 §12.2.1.1 strict-routing rewrite is not done).
 */
export function buildInDialogRequest(dialog: Dialog, method: string, local: LocalAddress, opts: InDialogOptions): InDialogRequest {
  const branch = generateBranch();
  const via = `SIP/2.0/${local.proto.toUpperCase()} ${local.hostport};rport;branch=${branch}`;
  const from = `${dialog.localAddr};tag=${dialog.localTag}`;
  const to = dialog.remoteTag ? `${dialog.remoteAddr};tag=${dialog.remoteTag}` : dialog.remoteAddr;
  const stack: Array<[string, string]> = [['Via', via]];
  for (const r of dialog.routeSet) stack.push(['Route', r]);
  stack.push(['Max-Forwards', opts.maxForwards ?? '70']);
  stack.push(['From', from], ['To', to], ['Call-ID', dialog.callId], ['CSeq', `${opts.cseq} ${method}`]);
  if (opts.contact) stack.push(['Contact', opts.contact]);
  const uri = dialog.remoteTarget;
  const buf = assemble(`${method} ${uri} SIP/2.0`, stack, opts.headers ?? [], opts.body ?? Buffer.alloc(0), opts.contentType);
  return { buf, uri, via, branch, from, to, cseq: opts.cseq, routes: dialog.routeSet.slice() };
}
