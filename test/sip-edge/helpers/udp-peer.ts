import { createSocket, type Socket } from 'node:dgram';

/** A SIP message as text, with a few accessors for assertions. */
export class SipText {
  constructor(readonly text: string) {}

  get startLine(): string {
    return this.text.slice(0, this.text.indexOf('\r\n'));
  }

  get isRequest(): boolean {
    return !this.text.startsWith('SIP/2.0 ');
  }

  get status(): number {
    return this.isRequest ? 0 : Number(this.text.slice(8, 11));
  }

  get method(): string {
    return this.isRequest ? this.startLine.split(' ')[0] : (this.header('cseq')?.split(' ')[1] ?? '');
  }

  get cseq(): number {
    return parseInt(this.header('cseq') ?? '', 10);
  }

  get body(): string {
    const i = this.text.indexOf('\r\n\r\n');
    return i < 0 ? '' : this.text.slice(i + 4);
  }

  /** First value of a header (case-insensitive name). */
  header(name: string): string | undefined {
    return this.headers(name)[0];
  }

  headers(name: string): string[] {
    const head = this.text.slice(0, this.text.indexOf('\r\n\r\n'));
    const want = name.toLowerCase();
    const out: string[] = [];
    for (const line of head.split('\r\n').slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === want) out.push(line.slice(colon + 1).trim());
    }
    return out;
  }

  /** `tag` parameter of the To header. */
  get toTag(): string {
    return /;tag=([^;\s]+)/.exec(this.header('to') ?? '')?.[1] ?? '';
  }
}

/** Joins header lines and a body into one message with the right Content-Length. */
export function sipMessage(lines: string[], body = ''): string {
  return [...lines, `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n');
}

/**
 * A raw SIP endpoint on a loopback UDP port, for scripting exactly what a peer sends and checking exactly
 * what the edge sends back. Received messages are consumed in order by `next`.
 */
export class UdpPeer {
  readonly received: SipText[] = [];
  private readonly consumed = new Set<SipText>();
  private seq = 0;

  private constructor(private readonly socket: Socket) {
    socket.on('message', (m) => this.received.push(new SipText(m.toString('utf8'))));
  }

  static async open(): Promise<UdpPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    return new UdpPeer(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  get hostport(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** A fresh RFC 3261 branch. */
  branch(): string {
    return `z9hG4bK-peer-${process.pid}-${++this.seq}-${Date.now()}`;
  }

  send(text: string, port: number): void {
    this.socket.send(text, port, '127.0.0.1');
  }

  /** Waits for the first not yet consumed message matching `pred` and consumes it. */
  async next(pred: (m: SipText) => boolean, what: string, timeoutMs = 5000): Promise<SipText> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find((m) => !this.consumed.has(m) && pred(m));
      if (found) {
        this.consumed.add(found);
        return found;
      }
      if (Date.now() > deadline) {
        const seen = this.received.map((m) => m.startLine).join(' | ');
        throw new Error(`timed out waiting for ${what}; received: ${seen}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Messages matching `pred` that arrived so far (consumed or not). */
  all(pred: (m: SipText) => boolean): SipText[] {
    return this.received.filter(pred);
  }

  /** Answers a request from the edge: Via, From, To (with `toTag` added if it has none), Call-ID, CSeq copied. */
  respond(req: SipText, status: number, reason: string, port: number, extra: string[] = [], body = '', toTag = 'peer-tag'): void {
    const to = req.header('to') ?? '';
    const lines = [
      `SIP/2.0 ${status} ${reason}`,
      ...req.headers('via').map((v) => `Via: ${v}`),
      `From: ${req.header('from') ?? ''}`,
      `To: ${/;tag=/.test(to) ? to : `${to};tag=${toTag}`}`,
      `Call-ID: ${req.header('call-id') ?? ''}`,
      `CSeq: ${req.header('cseq') ?? ''}`,
      ...extra,
    ];
    if (body) lines.push('Content-Type: application/sdp');
    this.send(sipMessage(lines, body), port);
  }

  close(): void {
    this.socket.close();
  }
}
