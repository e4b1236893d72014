export type Frame =
  | { type: 'message'; data: Buffer }
  /** RFC 5626 §4.4.1 keep-alive ping (CRLF CRLF); the answer is one CRLF. */
  | { type: 'ping' }
  /** The stream can no longer be framed: answer (from `head`, if possible) and close the connection. */
  | { type: 'fatal'; status: number; reason: string; head: Buffer };

const CRLFCRLF = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);

function isCrlfPrefix(buf: Buffer): boolean {
  for (let i = 0; i < buf.length && i < 4; i++) if (buf[i] !== (i % 2 === 0 ? 0x0d : 0x0a)) return false;
  return true;
}

/**
 * Finds the Content-Length value in a header block. Works on bytes so the framer allocates no strings;
 * returns -1 when absent and -2 when present but not a plain number.
 */
function findContentLength(buf: Buffer, end: number): number {
  let lineStart = 0;
  let result = -1;
  while (lineStart < end) {
    let lineEnd = buf.indexOf(0x0a, lineStart);
    if (lineEnd < 0 || lineEnd > end) lineEnd = end;
    const value = headerValueStart(buf, lineStart, lineEnd);
    if (value >= 0) {
      let n = 0;
      let digits = 0;
      let i = value;
      while (i < lineEnd && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
      for (; i < lineEnd && buf[i] >= 0x30 && buf[i] <= 0x39; i++, digits++) n = n * 10 + (buf[i] - 0x30);
      while (i < lineEnd && (buf[i] === 0x20 || buf[i] === 0x09 || buf[i] === 0x0d)) i++;
      if (digits === 0 || digits > 9 || i !== lineEnd) return -2;
      result = n;
    }
    lineStart = lineEnd + 1;
  }
  return result;
}

/** If the line is a Content-Length (or compact `l`) header, the index just after its colon; else -1. */
function headerValueStart(buf: Buffer, start: number, end: number): number {
  const name = 'content-length';
  let i = start;
  let matched = 0;
  while (i < end && matched < name.length && (buf[i] | 0x20) === name.charCodeAt(matched)) {
    i++;
    matched++;
  }
  if (matched !== name.length) {
    if ((buf[start] | 0x20) !== 0x6c) return -1;
    i = start + 1;
  }
  while (i < end && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
  return buf[i] === 0x3a ? i + 1 : -1;
}

/**
 * Cuts a TCP/TLS byte stream into SIP messages using Content-Length (RFC 3261 §18.3). The buffered
 * data never exceeds `maxMessageBytes` plus one read chunk.
 */
export class StreamFramer {
  private buf: Buffer = EMPTY;

  constructor(private readonly maxMessageBytes: number) {}

  get pendingBytes(): number {
    return this.buf.length;
  }

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      const buf = this.buf;
      if (buf.length === 0) break;
      if (buf[0] === 0x0d || buf[0] === 0x0a) {
        if (buf.length >= 4 && buf.subarray(0, 4).equals(CRLFCRLF)) {
          frames.push({ type: 'ping' });
          this.buf = buf.subarray(4);
          continue;
        }
        if (buf.length < 4 && isCrlfPrefix(buf)) break;
        let skip = 0;
        while (skip < buf.length && (buf[skip] === 0x0d || buf[skip] === 0x0a)) skip++;
        this.buf = buf.subarray(skip);
        continue;
      }
      const hdrEnd = buf.indexOf(CRLFCRLF);
      if (hdrEnd < 0) {
        if (buf.length > this.maxMessageBytes) return this.fatal(frames, 513, 'Message Too Large', buf);
        break;
      }
      const head = buf.subarray(0, hdrEnd + 4);
      const cl = findContentLength(buf, hdrEnd);
      if (cl === -1) return this.fatal(frames, 400, 'Missing Content-Length header', head);
      if (cl === -2) return this.fatal(frames, 400, 'Malformed Content-Length', head);
      const total = hdrEnd + 4 + cl;
      if (total > this.maxMessageBytes) return this.fatal(frames, 513, 'Message Too Large', head);
      if (buf.length < total) break;
      frames.push({ type: 'message', data: Buffer.from(buf.subarray(0, total)) });
      this.buf = buf.length === total ? EMPTY : buf.subarray(total);
    }
    if (this.buf.length > 0 && this.buf.byteOffset > 0 && this.buf.length < 1024)
      this.buf = Buffer.from(this.buf);
    return frames;
  }

  private fatal(frames: Frame[], status: number, reason: string, head: Buffer): Frame[] {
    frames.push({
      type: 'fatal',
      status,
      reason,
      head: Buffer.from(head.subarray(0, Math.min(head.length, this.maxMessageBytes))),
    });
    this.buf = EMPTY;
    return frames;
  }
}
