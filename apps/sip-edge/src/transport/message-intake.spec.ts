import { parseMessage } from '../sip/message';
import { stampTopVia } from './message-intake';
import type { RemoteInfo } from './transport';

const source: RemoteInfo = { proto: 'udp', address: '203.0.113.9', port: 40000, local: { address: '0.0.0.0', port: 5060 } };

function request(via: string): ReturnType<typeof parseMessage> {
  return parseMessage(
    Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\nVia: ${via}\r\nVia: SIP/2.0/UDP next;branch=z9hG4bK0\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n`),
  );
}

describe('stampTopVia', () => {
  it('fills in rport and received on the top Via only (RFC 3581)', () => {
    const msg = request('SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa;rport');
    if (msg.kind !== 'request') throw new Error('expected a request');
    stampTopVia(msg, source);
    expect(msg.headers.getAll('via')).toEqual(['SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa;rport=40000;received=203.0.113.9', 'SIP/2.0/UDP next;branch=z9hG4bK0']);
  });

  it('adds rport without received when the sent-by host is the source', () => {
    const msg = request('SIP/2.0/UDP 203.0.113.9:40000;branch=z9hG4bKb');
    if (msg.kind !== 'request') throw new Error('expected a request');
    stampTopVia(msg, source);
    expect(msg.headers.get('via')).toBe('SIP/2.0/UDP 203.0.113.9:40000;branch=z9hG4bKb;rport=40000');
  });
});
