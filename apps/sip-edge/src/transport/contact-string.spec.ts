import { parseContactString } from './contact-string';

describe('parseContactString', () => {
  it.each([
    ['sip:0.0.0.0:5060;transport=udp', { proto: 'udp', address: '0.0.0.0', port: 5060 }],
    ['sips:0.0.0.0:5061;transport=tls', { proto: 'tls', address: '0.0.0.0', port: 5061 }],
    ['sip:127.0.0.1:8080;transport=ws', { proto: 'ws', address: '127.0.0.1', port: 8080 }],
    [
      'sips:[::1]:8443;transport=WSS',
      { proto: 'wss', address: '::1', port: 8443, contact: 'sips:[::1]:8443;transport=wss' },
    ],
    ['sip:10.0.0.1', { proto: 'udp', port: 5060 }],
    ['sips:10.0.0.1', { proto: 'tls', port: 5061 }],
  ])('reads %s', (text, expected) => {
    expect(parseContactString(text)).toMatchObject(expected);
  });

  it.each([
    'sip:example.com:5060',
    'http://0.0.0.0:80',
    'sip:0.0.0.0:5060;transport=sctp',
    'sip:0.0.0.0:70000',
  ])('rejects %s', (text) => {
    expect(() => parseContactString(text)).toThrow(/contact/);
  });
});
