import type { SipHeaders } from './sip-headers';

export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  version: 'SIP/2.0';
  headers: SipHeaders;
  body: Buffer;
}

export interface SipResponse {
  kind: 'response';
  status: number;
  reason: string;
  version: 'SIP/2.0';
  headers: SipHeaders;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

export { SipHeaders, headerKey, isListHeader, splitHeaderList } from './sip-headers';
export type { SipHeaderEntry } from './sip-headers';
export { SipParseError } from './sip-parse-error';
export type { PartialSipMessage } from './sip-parse-error';
export { DEFAULT_SIP_LIMITS } from './sip-limits';
export type { SipLimits } from './sip-limits';
export { parseMessage, parseMessageExtent } from './message-parser';
export type { ParsedExtent } from './message-parser';
export {
  serialize,
  buildResponse,
  buildErrorResponse,
  generateBranch,
  generateTag,
} from './message-serializer';
export type { ExtraHeaders } from './message-serializer';
export {
  parseVia,
  formatVia,
  parseNameAddr,
  parseUri,
  parseCSeq,
  parseParams,
  formatParams,
  parseHostPort,
  formatHostPort,
} from './header-parsers';
export type { Via, NameAddr, SipUri, CSeq, SipParams, HostPort } from './header-parsers';
