import { SipParseError, buildErrorResponse, parseMessage, serialize } from './message';

const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'));

const REGISTER = crlf([
  'REGISTER sip:example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds;rport',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@example.com>',
  'From: "Bob" <sip:bob@example.com>;tag=456248',
  'Call-ID: 843817637684230@998sdasdh09',
  'CSeq: 1826 REGISTER',
  'Contact: <sip:bob@192.0.2.1>',
  'Content-Length: 0',
  '',
  '',
]);

function parseError(buf: Buffer): SipParseError {
  try {
    parseMessage(buf);
  } catch (err) {
    if (err instanceof SipParseError) return err;
    throw err;
  }
  throw new Error('expected a SipParseError');
}

describe('parseMessage', () => {
  it('parses a request with its headers in order', () => {
    const msg = parseMessage(REGISTER);
    expect(msg.kind).toBe('request');
    if (msg.kind !== 'request') return;
    expect(msg.method).toBe('REGISTER');
    expect(msg.uri).toBe('sip:example.com');
    expect(msg.headers.get('call-id')).toBe('843817637684230@998sdasdh09');
    expect(msg.headers.get('i')).toBe('843817637684230@998sdasdh09');
    expect([...msg.headers].map(([n]) => n)).toEqual([
      'Via',
      'Max-Forwards',
      'To',
      'From',
      'Call-ID',
      'CSeq',
      'Contact',
      'Content-Length',
    ]);
    expect(msg.body.length).toBe(0);
  });

  it('parses a response, compact forms, folding and a body', () => {
    const body = 'v=0\r\n';
    const msg = parseMessage(
      crlf([
        'SIP/2.0 200 OK',
        'v: SIP/2.0/UDP a.example.com;branch=z9hG4bKx, SIP/2.0/TCP b.example.com;branch=z9hG4bKy',
        'f: <sip:a@b>;tag=1',
        't: <sip:c@d>',
        '  ;tag=2',
        'i: abc',
        'CSeq: 1 INVITE',
        `l: ${body.length}`,
        '',
        body,
      ]),
    );
    expect(msg.kind).toBe('response');
    if (msg.kind !== 'response') return;
    expect(msg.status).toBe(200);
    expect(msg.headers.getAll('via')).toHaveLength(2);
    expect(msg.headers.get('To')).toBe('<sip:c@d> ;tag=2');
    expect(msg.body.toString()).toBe(body);
  });

  it('skips leading CRLFs', () => {
    const msg = parseMessage(Buffer.concat([Buffer.from('\r\n\r\n'), REGISTER]));
    expect(msg.headers.get('cseq')).toBe('1826 REGISTER');
  });

  it('refuses bare LF or CR line ends and unescaped control characters', () => {
    expect(
      parseError(Buffer.from(REGISTER.toString().replace('Max-Forwards: 70\r\n', 'Max-Forwards: 70\n')))
        .reason,
    ).toBe('Bare CR or LF in headers');
    expect(
      parseError(Buffer.from(REGISTER.toString().replace('Max-Forwards: 70', 'Max-Forwards: 70\rVia: x')))
        .reason,
    ).toBe('Bare CR or LF in headers');
    expect(
      parseError(Buffer.from(REGISTER.toString().replace('Max-Forwards: 70', 'X-A: \u0001'))).reason,
    ).toBe('Control character in headers');
    expect(
      parseMessage(
        Buffer.from(REGISTER.toString().replace('Max-Forwards: 70', 'X-A: "\\\u0000"')),
      ).headers.get('x-a'),
    ).toBe('"\\\u0000"');
  });

  it('truncates a datagram body to Content-Length and rejects a short one', () => {
    const base = REGISTER.toString().replace('Content-Length: 0', 'Content-Length: 3');
    expect(parseMessage(Buffer.from(`${base}abcdef`)).body.toString()).toBe('abc');
    expect(parseError(Buffer.from(`${base}ab`)).status).toBe(400);
  });

  it('requires Content-Length on streams', () => {
    const buf = Buffer.from(REGISTER.toString().replace('Content-Length: 0\r\n', ''));
    expect(parseMessage(buf).kind).toBe('request');
    expect(() => parseMessage(buf, { mode: 'stream' })).toThrow('Missing Content-Length');
  });

  it.each([
    ['Call-ID', 'Missing Call-ID header'],
    ['Via', 'Missing Via header'],
    ['CSeq', 'Missing CSeq header'],
  ])('rejects a request without %s', (name, reason) => {
    const buf = Buffer.from(REGISTER.toString().replace(new RegExp(`^${name}:.*\\r\\n`, 'm'), ''));
    const err = parseError(buf);
    expect(err.status).toBe(400);
    expect(err.reason).toBe(reason);
  });

  it('rejects a CSeq method that does not match and can build the 400', () => {
    const err = parseError(Buffer.from(REGISTER.toString().replace('1826 REGISTER', '1826 INVITE')));
    expect(err.reason).toBe('CSeq method does not match request method');
    const res = buildErrorResponse(err);
    expect(res?.status).toBe(400);
    expect(res?.headers.get('to')).toMatch(/;tag=/);
    expect(serialize(res!).toString()).toContain('SIP/2.0 400 CSeq method does not match request method\r\n');
  });

  it('answers an unknown SIP version with 505', () => {
    const err = parseError(Buffer.from(REGISTER.toString().replace('SIP/2.0\r\n', 'SIP/7.0\r\n')));
    expect(err.status).toBe(505);
    expect(buildErrorResponse(err)?.status).toBe(505);
  });

  it('enforces header count and line length limits', () => {
    const many = REGISTER.toString().replace(
      'Max-Forwards: 70',
      Array.from({ length: 300 }, (_, i) => `X-H${i}: 1`).join('\r\n'),
    );
    expect(parseError(Buffer.from(many)).reason).toBe('Too many headers');
    const long = REGISTER.toString().replace('Max-Forwards: 70', `X-Long: ${'a'.repeat(9000)}`);
    expect(parseError(Buffer.from(long)).reason).toBe('Header line too long');
    expect(parseError(Buffer.alloc(70_000, 0x41)).status).toBe(513);
  });

  it('rejects garbage without a usable partial', () => {
    const err = parseError(Buffer.from('\u0001\u0002 hello'));
    expect(buildErrorResponse(err)).toBeUndefined();
  });

  it('round-trips through serialize', () => {
    const msg = parseMessage(REGISTER);
    const again = parseMessage(serialize(msg));
    expect([...again.headers]).toEqual([...msg.headers]);
  });
});
