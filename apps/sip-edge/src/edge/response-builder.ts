import type { SipRequest } from '../sip/message';
import type { AppHeader } from './app-message';
import { assemble, tagOf } from './outgoing-message';

export interface ResponseParts {
  contact?: string;
  headers?: readonly AppHeader[];
  body?: Buffer;
  contentType?: string;
}

const EMPTY = Buffer.alloc(0);

/**
 * A response to `req` (RFC 3261 §8.2.6.2): every Via (the top one as stamped on receipt), From, To with
 * our tag, Call-ID and CSeq copied from the request; then the app's headers and body.
 */
export function buildServerResponse(
  req: SipRequest,
  topVia: string,
  status: number,
  reason: string,
  toTag: string,
  parts: ResponseParts = {},
): Buffer {
  const stack: Array<[string, string]> = [];
  const vias = req.headers.getValues('via');
  for (let i = 0; i < vias.length; i++) stack.push(['Via', i === 0 && topVia ? topVia : vias[i]]);
  stack.push(['From', req.headers.get('from') ?? '']);
  let to = req.headers.get('to') ?? '';
  if (status > 100 && toTag && !tagOf(to)) to = `${to};tag=${toTag}`;
  stack.push(['To', to]);
  stack.push(['Call-ID', req.headers.get('call-id') ?? '']);
  stack.push(['CSeq', req.headers.get('cseq') ?? '']);
  if (parts.contact) stack.push(['Contact', parts.contact]);
  return assemble(`SIP/2.0 ${status} ${reason}`, stack, parts.headers ?? [], parts.body ?? EMPTY, parts.contentType);
}
