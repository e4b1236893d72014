/**
 * Splits the admin byte stream into `<N>#<payload>` frames, N being the payload length in UTF-8 bytes.
 * drachtio-server caps N at 5 digits and its buffer at ~12 KB; we accept larger frames (up to maxFrameBytes)
 * because srf itself has no limit, but still reject a non-digit prefix.
 */
export class FrameError extends Error {}

export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);
  /**
   * Chunks of a frame whose length is known but that has not fully arrived. They are joined once, when
   * enough bytes are there: joining on every chunk costs O(n²) for a frame sent a byte at a time.
   */
  private waiting: Buffer[] = [];
  private waitingBytes = 0;
  private missing = 0;

  constructor(private readonly maxFrameBytes = 1024 * 1024) {}

  /** Appends data and returns every complete payload; throws FrameError on a malformed prefix. */
  push(chunk: Buffer): string[] {
    if (this.missing > 0) {
      this.waiting.push(chunk);
      this.waitingBytes += chunk.length;
      if (this.waitingBytes < this.missing) return [];
      chunk = Buffer.concat(this.waiting, this.waitingBytes);
      this.waiting = [];
      this.waitingBytes = 0;
      this.missing = 0;
    }
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: string[] = [];
    let offset = 0;
    for (;;) {
      const hash = this.buf.indexOf(0x23, offset);
      if (hash < 0) {
        if (this.buf.length - offset > 8) throw new FrameError('length prefix too long');
        break;
      }
      let len = 0;
      if (hash === offset || hash - offset > 8) throw new FrameError('invalid length prefix');
      for (let i = offset; i < hash; i++) {
        const c = this.buf[i] - 0x30;
        if (c < 0 || c > 9) throw new FrameError('invalid length prefix');
        len = len * 10 + c;
      }
      if (len === 0 || len > this.maxFrameBytes) throw new FrameError('invalid frame length');
      const end = hash + 1 + len;
      if (end > this.buf.length) {
        this.missing = end - this.buf.length;
        break;
      }
      out.push(this.buf.toString('utf8', hash + 1, end));
      offset = end;
    }
    this.buf = offset === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(offset);
    return out;
  }
}

export function encodeFrame(payload: string): string {
  return `${Buffer.byteLength(payload, 'utf8')}#${payload}`;
}
