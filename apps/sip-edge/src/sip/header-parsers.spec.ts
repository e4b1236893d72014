import { formatVia, parseCSeq, parseNameAddr, parseUri, parseVia } from './header-parsers';
import { generateBranch, generateTag } from './message-serializer';
import { SipHeaders } from './sip-headers';

describe('header parsers', () => {
  it('parses Via with rport, received and odd whitespace', () => {
    const via = parseVia('SIP / 2.0 / udp 192.0.2.1:5070 ; branch=z9hG4bK1;rport;received=10.0.0.1');
    expect(via).toMatchObject({
      protocol: 'SIP/2.0',
      transport: 'UDP',
      host: '192.0.2.1',
      port: 5070,
      branch: 'z9hG4bK1',
      rport: null,
      received: '10.0.0.1',
    });
    expect(parseVia('SIP/2.0/TCP [2001:db8::1]:5061;branch=z9hG4bK2')).toMatchObject({
      host: '2001:db8::1',
      port: 5061,
    });
    expect(formatVia(parseVia('SIP/2.0/WSS h.invalid;branch=z9hG4bK3;rport=9')!)).toBe(
      'SIP/2.0/WSS h.invalid;branch=z9hG4bK3;rport=9',
    );
    expect(parseVia('SIP/2.0/UDP')).toBeUndefined();
    expect(parseVia('SIP/2.0/UDP host:99999')).toBeUndefined();
  });

  it('parses name-addr and addr-spec forms', () => {
    expect(parseNameAddr('"Bob \\"B\\"" <sip:bob@example.com;transport=tcp>;tag=abc')).toEqual({
      displayName: 'Bob "B"',
      uri: 'sip:bob@example.com;transport=tcp',
      params: expect.objectContaining({ tag: 'abc' }),
      tag: 'abc',
    });
    expect(parseNameAddr('Bob Smith <sip:bob@example.com>')?.displayName).toBe('Bob Smith');
    expect(parseNameAddr('sip:bob@example.com;tag=x')).toMatchObject({
      uri: 'sip:bob@example.com',
      tag: 'x',
    });
    expect(parseNameAddr('<sip:bob@example.com')).toBeUndefined();
    expect(parseNameAddr('"unterminated <sip:a@b>')).toBeUndefined();
  });

  it('parses SIP and other URIs', () => {
    expect(parseUri('sip:alice:secret@[2001:db8::10]:5070;transport=tcp;lr?Subject=x')).toMatchObject({
      scheme: 'sip',
      user: 'alice',
      password: 'secret',
      host: '2001:db8::10',
      port: 5070,
      params: { transport: 'tcp', lr: null },
      headers: 'Subject=x',
    });
    expect(parseUri('SIPS:example.com')).toMatchObject({ scheme: 'sips', host: 'example.com' });
    expect(parseUri('tel:+15551234')).toMatchObject({ scheme: 'tel', opaque: '+15551234' });
    expect(parseUri('sip:bad host')).toBeUndefined();
    expect(parseUri('nocolon')).toBeUndefined();
  });

  it('parses CSeq', () => {
    expect(parseCSeq('  42   INVITE ')).toEqual({ seq: 42, method: 'INVITE' });
    expect(parseCSeq('4294967296 INVITE')).toBeUndefined();
    expect(parseCSeq('INVITE')).toBeUndefined();
    expect(parseCSeq('1INVITE')).toBeUndefined();
  });

  it('generates branches and tags', () => {
    const a = generateBranch();
    expect(a.startsWith('z9hG4bK')).toBe(true);
    expect(a).not.toBe(generateBranch());
    expect(generateTag()).toMatch(/^[A-Za-z0-9_-]{12}$/);
  });
});

describe('SipHeaders', () => {
  it('looks up case-insensitively and by compact form', () => {
    const h = new SipHeaders([
      ['v', 'SIP/2.0/UDP a'],
      ['VIA', 'SIP/2.0/UDP b'],
      ['Route', '<sip:p1;lr>, <sip:p2;lr>'],
    ]);
    expect(h.get('Via')).toBe('SIP/2.0/UDP a');
    expect(h.getAll('via')).toEqual(['SIP/2.0/UDP a', 'SIP/2.0/UDP b']);
    expect(h.getValues('route')).toEqual(['<sip:p1;lr>', '<sip:p2;lr>']);
    expect(h.removeFirst('route')).toBe('<sip:p1;lr>');
    expect(h.get('route')).toBe('<sip:p2;lr>');
    expect(h.removeFirst('v')).toBe('SIP/2.0/UDP a');
    h.prepend('Via', 'SIP/2.0/UDP top');
    expect(h.get('via')).toBe('SIP/2.0/UDP top');
    h.set('via', 'only');
    expect(h.getAll('via')).toEqual(['only']);
    h.append('X-A', '1');
    expect(h.remove('x-a')).toBe(1);
    expect(h.has('x-a')).toBe(false);
    expect([...h.clone()]).toEqual([...h]);
  });
});
