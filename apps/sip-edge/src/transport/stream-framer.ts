export type Frame =
  | { type: 'message'; data: Buffer }
  /** RFC 5626 §4.4.1 keep-alive ping (CRLF CRLF); the answer is one CRLF. */
  | { type: 'ping' }
  /** The stream can no longer be framed: answer (from `head`, if possible) and close the connection. */
  | { type: 'fatal'; status: number; reason: string; head: Buffer };

const CRLFCRLF = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);
/** Smallest buffer kept for partial data; a typical SIP message fits. */
const MIN_STORE_BYTES = 4096;

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

/** Work the framer has done since it was created; lets tests check it stays linear in the input. */
export interface FramerCounters {
  /** Bytes examined while looking for the end of a header block or reading Content-Length. */
  bytesScanned: number;
  /** Bytes copied into the framer's own buffer (partial messages only; a chunk holding whole messages is not copied). */
  bytesBuffered: number;
}

/**
 * Cuts a TCP/TLS byte stream into SIP messages using Content-Length (RFC 3261 §18.3). The buffered
 * data never exceeds `maxMessageBytes` plus one read chunk.
 *
 * The work is linear in the input however it is chunked: the search for the blank line resumes where the
 * previous one stopped, and once the header block is read the framer only waits for Content-Length more
 * bytes. Partial data goes into a buffer that grows by doubling, so a message delivered a byte at a time
 * is copied O(1) times per byte.
 */
export class StreamFramer {
  readonly counters: FramerCounters = { bytesScanned: 0, bytesBuffered: 0 };
  /** Unconsumed bytes: a view of the current chunk, or of `store`. */
  private buf: Buffer = EMPTY;
  /** Growable buffer holding partial data between pushes; `buf` is a view of its start when in use. */
  private store: Buffer = EMPTY;
  /** How many bytes at the start of `buf` are known not to hold the end of the header block. */
  private searched = 0;
  /** Length of the message at the start of `buf` once its header block has been read; else -1. */
  private expected = -1;

  constructor(private readonly maxMessageBytes: number) {}

  get pendingBytes(): number {
    return this.buf.length;
  }

  push(chunk: Buffer): Frame[] {
    this.append(chunk);
    const frames: Frame[] = [];
    for (;;) {
      const buf = this.buf;
      if (buf.length === 0) break;
      if (this.expected >= 0) {
        if (buf.length < this.expected) break;
        this.consume(frames, this.expected);
        continue;
      }
      if (buf[0] === 0x0d || buf[0] === 0x0a) {
        if (buf.length >= 4 && buf[0] === 0x0d && buf[1] === 0x0a && buf[2] === 0x0d && buf[3] === 0x0a) {
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
      // The blank line may straddle the previous search's end: back up three bytes.
      const from = Math.max(0, this.searched - 3);
      const hdrEnd = buf.indexOf(CRLFCRLF, from);
      this.counters.bytesScanned += (hdrEnd < 0 ? buf.length : hdrEnd + 4) - from;
      if (hdrEnd < 0) {
        this.searched = buf.length;
        if (buf.length > this.maxMessageBytes) return this.fatal(frames, 513, 'Message Too Large', buf);
        break;
      }
      const head = buf.subarray(0, hdrEnd + 4);
      const cl = findContentLength(buf, hdrEnd);
      this.counters.bytesScanned += hdrEnd;
      if (cl === -1) return this.fatal(frames, 400, 'Missing Content-Length header', head);
      if (cl === -2) return this.fatal(frames, 400, 'Malformed Content-Length', head);
      const total = hdrEnd + 4 + cl;
      if (total > this.maxMessageBytes) return this.fatal(frames, 513, 'Message Too Large', head);
      this.expected = total;
    }
    this.keepRemainder();
    return frames;
  }

  /** Makes `buf` cover the unconsumed bytes plus `chunk`, copying only when something is already pending. */
  private append(chunk: Buffer): void {
    if (this.buf.length === 0) {
      this.buf = chunk;
      return;
    }
    const pending = this.buf.length;
    const needed = pending + chunk.length;
    const inStore = this.store.length > 0 && this.buf.buffer === this.store.buffer;
    const offset = inStore ? this.buf.byteOffset - this.store.byteOffset : 0;
    if (inStore && offset + needed <= this.store.length) {
      chunk.copy(this.store, offset + pending);
      this.counters.bytesBuffered += chunk.length;
      this.buf = this.store.subarray(offset, offset + needed);
      return;
    }
    const store = Buffer.allocUnsafeSlow(Math.max(needed * 2, MIN_STORE_BYTES));
    this.buf.copy(store, 0);
    chunk.copy(store, pending);
    this.counters.bytesBuffered += needed;
    this.store = store;
    this.buf = store.subarray(0, needed);
  }

  /**
   * Bytes left over once the chunk is framed must not pin the socket's chunk, and a large store left
   * behind by one big message is given back once it is no longer needed.
   */
  private keepRemainder(): void {
    const buf = this.buf;
    if (buf.length === 0) {
      this.buf = EMPTY;
      if (this.store.length > MIN_STORE_BYTES) this.store = EMPTY;
      return;
    }
    if (this.store.length > 0 && buf.buffer === this.store.buffer) return;
    if (this.store.length < buf.length || this.store.length > Math.max(buf.length * 4, MIN_STORE_BYTES))
      this.store = Buffer.allocUnsafeSlow(Math.max(buf.length * 2, MIN_STORE_BYTES));
    buf.copy(this.store, 0);
    this.counters.bytesBuffered += buf.length;
    this.buf = this.store.subarray(0, buf.length);
  }

  private consume(frames: Frame[], total: number): void {
    const buf = this.buf;
    // A copy: the message outlives this chunk (transactions keep it) and must not pin the socket's buffer.
    frames.push({ type: 'message', data: Buffer.from(buf.subarray(0, total)) });
    this.buf = buf.length === total ? EMPTY : buf.subarray(total);
    this.searched = 0;
    this.expected = -1;
  }

  private fatal(frames: Frame[], status: number, reason: string, head: Buffer): Frame[] {
    frames.push({
      type: 'fatal',
      status,
      reason,
      head: Buffer.from(head.subarray(0, Math.min(head.length, this.maxMessageBytes))),
    });
    this.buf = EMPTY;
    this.store = EMPTY;
    this.searched = 0;
    this.expected = -1;
    return frames;
  }
}
