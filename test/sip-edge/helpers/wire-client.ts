import { connect, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';

/** A raw admin-protocol client (no srf), to check frames byte by byte. */
export class WireClient {
  readonly frames: string[] = [];
  closed = false;
  private buf = Buffer.alloc(0);

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (;;) {
        const hash = this.buf.indexOf('#');
        if (hash < 0) return;
        const len = parseInt(this.buf.toString('utf8', 0, hash), 10);
        if (this.buf.length < hash + 1 + len) return;
        this.frames.push(this.buf.toString('utf8', hash + 1, hash + 1 + len));
        this.buf = this.buf.subarray(hash + 1 + len);
      }
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  static open(port: number): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host: '127.0.0.1' }, () => resolve(new WireClient(s)));
      s.once('error', reject);
    });
  }

  /** Sends `<id>|<payload>` framed; returns the id. */
  send(payload: string, id = randomUUID()): string {
    const s = `${id}|${payload}`;
    this.socket.write(`${Buffer.byteLength(s)}#${s}`);
    return id;
  }

  writeRaw(data: string): void {
    this.socket.write(data);
  }

  /** Waits for a frame matching `pred` (polling with a deadline). */
  async next(pred: (f: string) => boolean, timeoutMs = 3000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex(pred);
      if (i >= 0) return this.frames.splice(i, 1)[0];
      if (Date.now() > deadline) throw new Error(`no matching frame; have: ${JSON.stringify(this.frames).slice(0, 500)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  reply(id: string, timeoutMs?: number): Promise<string> {
    return this.next((f) => f.split('|')[2] === id && f.split('|')[1] === 'response', timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The fields of a frame's first line. */
export function fieldsOf(frame: string): string[] {
  const eol = frame.indexOf('\r\n');
  return (eol < 0 ? frame : frame.slice(0, eol)).split('|');
}

export function sipOf(frame: string): string {
  const eol = frame.indexOf('\r\n');
  return eol < 0 ? '' : frame.slice(eol + 2);
}
