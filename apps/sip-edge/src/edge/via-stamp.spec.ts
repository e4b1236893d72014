import type { RemoteInfo } from '../transport/transport';
import { stampTopVia, stampViaElement } from './via-stamp';

const source = { proto: 'udp', address: '198.51.100.7', port: 40000 } as RemoteInfo;

describe('stampViaElement (RFC 3261 §18.2.1, RFC 3581)', () => {
  it('adds received when the sent-by is not the source, and fills rport', () => {
    expect(stampViaElement('SIP/2.0/UDP 10.0.0.5:5060;rport;branch=z9hG4bK-1', '10.0.0.5', source)).toBe(
      'SIP/2.0/UDP 10.0.0.5:5060;rport=40000;branch=z9hG4bK-1;received=198.51.100.7',
    );
    expect(stampViaElement('SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-1', '198.51.100.7', source)).toBe(
      'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-1;rport=40000',
    );
  });

  it('never keeps a received the sender wrote: replaced by the real source, or dropped when sent-by is the source', () => {
    expect(stampViaElement('SIP/2.0/UDP 10.0.0.5:5060;received=127.0.0.2;branch=z9hG4bK-1', '10.0.0.5', source)).toBe(
      'SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK-1;received=198.51.100.7;rport=40000',
    );
    expect(stampViaElement('SIP/2.0/UDP 198.51.100.7:5060;RECEIVED = 127.0.0.2;branch=z9hG4bK-1', '198.51.100.7', source)).toBe(
      'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-1;rport=40000',
    );
  });

  it('stampTopVia rewrites only the top element of the raw request', () => {
    const raw = 'OPTIONS sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.7:5060;received=1.2.3.4;branch=z9hG4bK-a, SIP/2.0/UDP p:5060;received=5.6.7.8;branch=z9hG4bK-b\r\nCall-ID: c\r\n\r\n';
    const { text, topVia } = stampTopVia(raw, '198.51.100.7', source);
    expect(topVia).toBe('SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-a;rport=40000');
    expect(text).toContain(`Via: ${topVia}, SIP/2.0/UDP p:5060;received=5.6.7.8;branch=z9hG4bK-b\r\n`);
  });
});
