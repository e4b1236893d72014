import { StreamFramer } from './stream-framer';

const msg = (body = ''): string =>
  [
    'OPTIONS sip:a@b SIP/2.0',
    'Via: SIP/2.0/TCP h;branch=z9hG4bK1',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');

describe('StreamFramer', () => {
  it('cuts messages by Content-Length across arbitrary chunk boundaries', () => {
    const stream = Buffer.from(msg('hello') + msg() + msg('v=0\r\n'));
    for (const size of [1, 3, 7, 64, stream.length]) {
      const framer = new StreamFramer(65536);
      const out: string[] = [];
      for (let i = 0; i < stream.length; i += size) {
        for (const f of framer.push(stream.subarray(i, i + size)))
          if (f.type === 'message') out.push(f.data.toString());
      }
      expect(out).toEqual([msg('hello'), msg(), msg('v=0\r\n')]);
      expect(framer.pendingBytes).toBe(0);
    }
  });

  it('answers a double-CRLF ping and skips single CRLFs', () => {
    const framer = new StreamFramer(65536);
    expect(framer.push(Buffer.from('\r\n'))).toEqual([]);
    expect(framer.push(Buffer.from('\r\n'))).toEqual([{ type: 'ping' }]);
    const frames = framer.push(Buffer.from(`\r\n${msg()}`));
    expect(frames.map((f) => f.type)).toEqual(['message']);
  });

  it('understands the compact l header', () => {
    const framer = new StreamFramer(65536);
    const frames = framer.push(Buffer.from('MESSAGE sip:a@b SIP/2.0\r\nl : 2\r\n\r\nhi'));
    expect(frames).toHaveLength(1);
    expect(frames[0].type === 'message' && frames[0].data.toString().endsWith('hi')).toBe(true);
  });

  it('gives up on a missing or bad Content-Length and on oversize input', () => {
    expect(
      new StreamFramer(65536).push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n'))[0],
    ).toMatchObject({ type: 'fatal', status: 400 });
    expect(
      new StreamFramer(65536).push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n'))[0],
    ).toMatchObject({
      type: 'fatal',
      reason: 'Malformed Content-Length',
    });
    expect(
      new StreamFramer(1000).push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 5000\r\n\r\n'))[0],
    ).toMatchObject({ status: 513 });
    const framer = new StreamFramer(1000);
    expect(framer.push(Buffer.alloc(900, 0x41))).toEqual([]);
    expect(framer.push(Buffer.alloc(900, 0x41))[0]).toMatchObject({ type: 'fatal', status: 513 });
    expect(framer.pendingBytes).toBe(0);
  });
});
