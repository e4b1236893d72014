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

  describe('work stays linear in the input', () => {
    const MAX = 65536;
    /** A message of exactly `MAX` bytes: `headerLines` extra headers, the rest of the room as body. */
    const maxSizeMessage = (headerLines: number): Buffer => {
      const head = (bodyLength: number) =>
        [
          'MESSAGE sip:a@b SIP/2.0',
          'Via: SIP/2.0/TCP h;branch=z9hG4bK1',
          ...Array.from({ length: headerLines }, (_, i) => `X-Filler-${i}: ${'f'.repeat(40)}`),
          `Content-Length: ${String(bodyLength).padStart(5, '0')}`,
          '',
          '',
        ].join('\r\n');
      const bodyLength = MAX - Buffer.byteLength(head(0));
      expect(bodyLength).toBeGreaterThanOrEqual(0);
      const out = Buffer.from(head(bodyLength) + 'b'.repeat(bodyLength));
      expect(out.length).toBe(MAX);
      return out;
    };

    it.each([
      ['a large body', 10],
      ['a large header block', 1100],
    ])('frames a max-size message with %s fed one byte at a time, scanning and copying each byte O(1) times', (_name, headerLines) => {
      const message = maxSizeMessage(headerLines);
      const next = Buffer.from(msg('after'));
      const stream = Buffer.concat([message, next]);
      const framer = new StreamFramer(MAX);
      const out: Buffer[] = [];
      for (let i = 0; i < stream.length; i++) {
        for (const f of framer.push(stream.subarray(i, i + 1))) {
          expect(f.type).toBe('message');
          if (f.type === 'message') out.push(f.data);
        }
      }
      expect(out.map((b) => b.length)).toEqual([message.length, next.length]);
      expect(out[0].equals(message)).toBe(true);
      expect(out[1].toString()).toBe(msg('after'));
      expect(framer.pendingBytes).toBe(0);
      // Rescanning from the start on every byte would scan ~MAX²/2 = 2·10⁹ bytes; resuming scans each byte a
      // few times (the three bytes a blank line may straddle, plus one pass for Content-Length).
      expect(framer.counters.bytesScanned).toBeLessThanOrEqual(6 * stream.length);
      // Concatenating on every byte would copy ~MAX²/2 bytes; a doubling buffer copies each byte about twice.
      expect(framer.counters.bytesBuffered).toBeLessThanOrEqual(4 * stream.length);
    });

    it('does not copy a chunk that holds only whole messages', () => {
      const framer = new StreamFramer(MAX);
      const frames = framer.push(Buffer.from(msg('one') + msg('two')));
      expect(frames.map((f) => f.type === 'message' && f.data.toString())).toEqual([msg('one'), msg('two')]);
      expect(framer.counters.bytesBuffered).toBe(0);
    });
  });
});
