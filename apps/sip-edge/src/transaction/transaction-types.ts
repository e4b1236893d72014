import type { SendTarget } from '../transport/transport';

/** Where a message goes or came from: the transport's send target. */
export type SipPeer = SendTarget;

export function isReliable(proto: string): boolean {
  return proto !== 'udp';
}

/** The transaction layer's only way out: send bytes to a peer; `onError` fires if that fails (ICMP, refused). */
export type SendFn = (peer: SipPeer, data: Buffer, onError?: (err: Error) => void) => void;
