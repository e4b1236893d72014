import type { SipHeaders } from './sip-headers';

/** What could be read of a message before it was found to be bad; enough, maybe, for an error response. */
export interface PartialSipMessage {
  kind: 'request' | 'response' | 'unknown';
  method?: string;
  uri?: string;
  status?: number;
  headers?: SipHeaders;
}

/** The only error `parseMessage` throws. `status` is the SIP response code a server should answer with. */
export class SipParseError extends Error {
  override readonly name = 'SipParseError';

  constructor(
    readonly status: number,
    readonly reason: string,
    readonly partial?: PartialSipMessage,
  ) {
    super(`${status} ${reason}`);
  }
}
