import { createLogger } from '@pbx/common';
import { parseMessage } from '../sip/message';
import { MessageIntake, stampTopVia } from './message-intake';
import type { InboundMessage, RemoteInfo, TransportStats } from './transport';

const source: RemoteInfo = {
  proto: 'udp',
  address: '203.0.113.9',
  port: 40000,
  local: { address: '0.0.0.0', port: 5060 },
};

function request(via: string): ReturnType<typeof parseMessage> {
  return parseMessage(
    Buffer.from(
      `OPTIONS sip:a@b SIP/2.0\r\nVia: ${via}\r\nVia: SIP/2.0/UDP next;branch=z9hG4bK0\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n`,
    ),
  );
}

describe('stampTopVia', () => {
  it('fills in rport and received on the top Via only (RFC 3581)', () => {
    const msg = request('SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa;rport');
    if (msg.kind !== 'request') throw new Error('expected a request');
    stampTopVia(msg, source);
    expect(msg.headers.getAll('via')).toEqual([
      'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa;rport=40000;received=203.0.113.9',
      'SIP/2.0/UDP next;branch=z9hG4bK0',
    ]);
  });

  it('adds rport without received when the sent-by host is the source', () => {
    const msg = request('SIP/2.0/UDP 203.0.113.9:40000;branch=z9hG4bKb');
    if (msg.kind !== 'request') throw new Error('expected a request');
    stampTopVia(msg, source);
    expect(msg.headers.get('via')).toBe('SIP/2.0/UDP 203.0.113.9:40000;branch=z9hG4bKb;rport=40000');
  });

  it('never keeps a received the sender wrote', () => {
    const own = request('SIP/2.0/UDP 203.0.113.9:40000;received=127.0.0.2;branch=z9hG4bKc');
    const other = request('SIP/2.0/UDP 10.0.0.1:5060;received=127.0.0.2;branch=z9hG4bKd');
    if (own.kind !== 'request' || other.kind !== 'request') throw new Error('expected requests');
    stampTopVia(own, source);
    stampTopVia(other, source);
    expect(own.headers.get('via')).not.toContain('received');
    expect(other.headers.get('via')).toContain('received=203.0.113.9');
    expect(other.headers.get('via')).not.toContain('127.0.0.2');
  });
});

describe('MessageIntake', () => {
  const limits = {
    maxDatagramBytes: 65535,
    maxStreamMessageBytes: 65535,
    maxHeaders: 256,
    maxHeaderLineBytes: 8192,
  };
  const stats = {
    messagesReceived: 0,
    bytesReceived: 0,
    parseErrors: 0,
    errorResponsesSent: 0,
  } as TransportStats;
  const request =
    'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKq\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 2\r\n\r\nhi';

  it('hands on the exact message bytes, without leading CRLFs or trailing datagram bytes', () => {
    const delivered: InboundMessage[] = [];
    const intake = new MessageIntake(limits, stats, createLogger('test', 'silent'), (m) => delivered.push(m));
    intake.receive(Buffer.from(`\r\n${request}TRAILING`), source, () => undefined);
    expect(delivered[0].raw.toString()).toBe(request);
    expect(delivered[0].msg.headers.get('via')).toContain(';rport=40000;received=203.0.113.9');
  });

  it('can leave the Via alone and answers what it cannot parse', () => {
    const delivered: InboundMessage[] = [];
    const replies: string[] = [];
    const intake = new MessageIntake(
      limits,
      stats,
      createLogger('test', 'silent'),
      (m) => delivered.push(m),
      false,
    );
    intake.receive(Buffer.from(request), source, () => undefined);
    expect(delivered[0].msg.headers.get('via')).toBe('SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKq');
    intake.receive(Buffer.from(request.replace('1 OPTIONS', '1 BYE')), source, (r) =>
      replies.push(r.toString()),
    );
    expect(replies[0]).toMatch(/^SIP\/2.0 400 CSeq method does not match request method\r\n/);
    expect(delivered).toHaveLength(1);
  });
});
