import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { waitUntil } from './edge-harness';

/** A UDP peer on loopback that records every message it gets and sends exactly what a test writes. */
export class RawUa {
  readonly got: string[] = [];
  private constructor(readonly socket: UdpSocket) {
    socket.on('message', (m) => this.got.push(m.toString()));
  }

  static async open(): Promise<RawUa> {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    return new RawUa(s);
  }

  get port(): number {
    return this.socket.address().port;
  }

  get uri(): string {
    return `sip:ua@127.0.0.1:${this.port}`;
  }

  /** Sends header lines (and a body) with the right Content-Length. */
  send(port: number, lines: string[], body = ''): void {
    this.socket.send([...lines, `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n'), port, '127.0.0.1');
  }

  /** Waits for, removes and returns the first message matching `pred`. */
  async next(pred: (m: string) => boolean, what: string, timeoutMs = 3000): Promise<string> {
    await waitUntil(() => this.got.some(pred), timeoutMs, what);
    return this.got.splice(this.got.findIndex(pred), 1)[0];
  }

  /** The next final (2xx–6xx) response of a call. */
  final(callId: string, timeoutMs = 4000): Promise<string> {
    return this.next((m) => m.includes(`Call-ID: ${callId}`) && /^SIP\/2\.0 [2-6]\d\d /.test(m), `final response for ${callId}`, timeoutMs);
  }

  /** Answers a request it received (copying Via, From, To, Call-ID, CSeq), adding a To-tag. */
  answer(port: number, req: string, status: string, extra: string[] = [], toTag = `t${this.port}`): void {
    const lines = req.split('\r\n');
    const copy = lines.filter((l) => /^(Via|From|Call-ID|CSeq):/i.test(l));
    const to = lines.find((l) => /^To:/i.test(l)) ?? 'To: <sip:x@127.0.0.1>';
    this.send(port, [`SIP/2.0 ${status}`, ...copy, /;tag=/.test(to) ? to : `${to};tag=${toTag}`, ...extra]);
  }

  close(): void {
    this.socket.close();
  }
}
