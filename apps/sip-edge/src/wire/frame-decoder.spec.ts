import { encodeFrame, FrameDecoder, FrameError } from './frame-decoder';

describe('FrameDecoder', () => {
  it('reassembles a large frame fed one byte at a time, joining the bytes once (not per byte)', () => {
    const payload = `big|route|${'x'.repeat(900_000)}`;
    const raw = Buffer.from(encodeFrame(payload) + encodeFrame('next|ping'));
    const d = new FrameDecoder();
    const out: string[] = [];
    // Count the bytes the decoder copies (not time: the machine may be busy). Joining on every byte
    // would copy ~400 GB here; the decoder copies the frame about once.
    const concat = jest.spyOn(Buffer, 'concat');
    try {
      for (let i = 0; i < raw.length; i++) out.push(...d.push(raw.subarray(i, i + 1)));
      const copied = concat.mock.calls.reduce((n, [list]) => n + list.reduce((m, b) => m + b.length, 0), 0);
      expect(copied).toBeLessThan(raw.length * 3);
    } finally {
      concat.mockRestore();
    }
    expect(out).toEqual([payload, 'next|ping']);
  });

  it('splits batched frames and joins split ones, counting UTF-8 bytes', () => {
    const d = new FrameDecoder();
    const a = encodeFrame('a|ping');
    const b = encodeFrame('b|sip||\r\nMESSAGE sip:x SIP/2.0\r\n\r\nhé 😀');
    const all = Buffer.from(a + b);
    expect(d.push(all.subarray(0, 3))).toEqual([]);
    expect(d.push(all.subarray(3, 20))).toEqual(['a|ping']);
    expect(d.push(all.subarray(20))).toEqual(['b|sip||\r\nMESSAGE sip:x SIP/2.0\r\n\r\nhé 😀']);
  });

  it('rejects a non-digit length prefix', () => {
    expect(() => new FrameDecoder().push(Buffer.from('12a#xx'))).toThrow(FrameError);
  });

  it('accepts frames larger than drachtio-server would (12 KB)', () => {
    const big = `x|ping|${'x'.repeat(20_000)}`;
    expect(new FrameDecoder().push(Buffer.from(encodeFrame(big)))).toEqual([big]);
  });
});
