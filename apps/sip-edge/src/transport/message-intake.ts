import type { Logger } from '@pbx/common';
import { formatVia, parseVia, type Via } from '../sip/header-parsers';
import type { SipMessage, SipRequest } from '../sip/message';
import { parseMessage, parseMessageExtent } from '../sip/message-parser';
import { buildErrorResponse, serialize } from '../sip/message-serializer';
import type { SipLimits } from '../sip/sip-limits';
import { SipParseError } from '../sip/sip-parse-error';
import type { InboundMessage, RemoteInfo, TransportStats } from './transport';

export type Reply = (data: Buffer) => void;

/**
 * RFC 3581 / RFC 3261 §18.2.1: record where the request really came from in its top Via. Like
 * drachtio-server (sofia-sip) we always fill in rport, and add received when the sent-by host differs.
 */
export function stampTopVia(req: SipRequest, source: RemoteInfo, parsed?: Via): void {
  const via = parsed ?? parseVia(req.headers.get('via') ?? '');
  if (!via) return;
  via.params.rport = String(source.port);
  // A received= the sender wrote is never kept: only the socket knows where the packet came from.
  if (via.host !== source.address) via.params.received = source.address;
  else delete via.params.received;
  req.headers.setFirst('via', formatVia(via));
}

/**
 * The one path every received message takes: parse, answer what cannot be parsed (or drop it), stamp the
 * Via of requests, and hand the rest on. It never throws into a socket handler.
 */
export class MessageIntake {
  private readonly datagramLimits: Partial<SipLimits>;
  private readonly streamLimits: Partial<SipLimits>;
  private readonly wsLimits: Partial<SipLimits>;

  constructor(
    limits: {
      maxDatagramBytes: number;
      maxStreamMessageBytes: number;
      maxHeaders: number;
      maxHeaderLineBytes: number;
    },
    private readonly stats: TransportStats,
    private readonly logger: Logger,
    private readonly deliver: (m: InboundMessage) => void,
    private readonly stampVia = true,
  ) {
    const common = { maxHeaders: limits.maxHeaders, maxHeaderLineBytes: limits.maxHeaderLineBytes };
    this.datagramLimits = { ...common, maxMessageBytes: limits.maxDatagramBytes, mode: 'datagram' };
    this.streamLimits = { ...common, maxMessageBytes: limits.maxStreamMessageBytes, mode: 'stream' };
    // RFC 7118: a WebSocket message is one SIP message, so Content-Length may be left out as on UDP.
    this.wsLimits = { ...common, maxMessageBytes: limits.maxStreamMessageBytes, mode: 'datagram' };
  }

  receive(raw: Buffer, source: RemoteInfo, reply: Reply): void {
    this.stats.messagesReceived++;
    this.stats.bytesReceived += raw.length;
    let msg: SipMessage;
    let topVia: Via;
    let exact = raw;
    try {
      const parsed = parseMessageExtent(raw, this.limitsFor(source));
      msg = parsed.msg;
      topVia = parsed.topVia;
      if (parsed.start > 0 || parsed.end < raw.length) exact = raw.subarray(parsed.start, parsed.end);
    } catch (err) {
      this.parseFailed(err, source, reply);
      return;
    }
    if (this.stampVia && msg.kind === 'request') stampTopVia(msg, source, topVia);
    try {
      this.deliver({ msg, raw: exact, source, receivedAt: Date.now() });
    } catch (err) {
      this.logger.error(
        { err, source: `${source.proto}:${source.address}:${source.port}` },
        'message handler threw',
      );
    }
  }

  /** A stream that cannot be framed any more: answer from its header block if that is possible. */
  rejectFrame(head: Buffer, status: number, reason: string, source: RemoteInfo, reply: Reply): void {
    this.stats.bytesReceived += head.length;
    let partial: SipParseError['partial'];
    try {
      const msg = parseMessage(head, this.datagramLimits);
      partial =
        msg.kind === 'request'
          ? { kind: 'request', method: msg.method, uri: msg.uri, headers: msg.headers }
          : undefined;
    } catch (err) {
      partial = err instanceof SipParseError ? err.partial : undefined;
    }
    this.parseFailed(new SipParseError(status, reason, partial), source, reply);
  }

  private limitsFor(source: RemoteInfo): Partial<SipLimits> {
    if (source.proto === 'udp') return this.datagramLimits;
    return source.proto === 'ws' || source.proto === 'wss' ? this.wsLimits : this.streamLimits;
  }

  private parseFailed(err: unknown, source: RemoteInfo, reply: Reply): void {
    this.stats.parseErrors++;
    if (!(err instanceof SipParseError)) {
      this.logger.error({ err }, 'parser threw something other than SipParseError');
      return;
    }
    const response = buildErrorResponse(err);
    this.logger.debug(
      {
        status: err.status,
        reason: err.reason,
        remote: `${source.proto}:${source.address}:${source.port}`,
        answered: !!response,
      },
      'unparseable SIP message',
    );
    if (!response) return;
    try {
      reply(serialize(response));
      this.stats.errorResponsesSent++;
    } catch (e) {
      this.logger.debug({ err: e }, 'could not send error response');
    }
  }
}
